# Quire: `make run` builds and serves the current directory; `make test`
# installs what the tests need (apt, npm, Go tools) and runs every test.

SHELL        := /bin/bash
# Go as go.mod asks (see README): `go` on PATH, else the official tarball's
# place. `make GO=/path/to/go` overrides.
ifeq ($(origin GO),undefined)
GO           := $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
endif
PREFIX       ?= /usr/local
export CGO_ENABLED ?= 0
TOOLS        := $(CURDIR)/.tools
STATICCHECK  := $(TOOLS)/staticcheck
STATICCHECK_VERSION := v0.8.2
# Versity's S3 gateway (posix backend): the real S3 server the S3 contents
# store is tested against, started on loopback by the tests themselves.
# QUIRE_TEST_S3_REQUIRED=1 makes a missing binary a failure, not a skip.
VERSITYGW    := $(TOOLS)/versitygw
VERSITYGW_VERSION := v1.8.0
export QUIRE_TEST_VERSITYGW := $(VERSITYGW)
FUZZTIME     ?= 10s
APT_PACKAGES := python3-jupyter-server python3-terminado python3-ipykernel python3-nbformat python3-websocket python3-notebook chromium pebble
# TestProxy runs these in front of quire (docs/deploy); installed with
# their services kept stopped (see deps-apt).
APT_PACKAGES += apache2 nginx caddy haproxy
# TestHub runs Debian's JupyterHub 3.0 and configurable-http-proxy on
# loopback, spawning bin/quire (its service kept stopped, as above).
APT_PACKAGES += jupyterhub node-configurable-http-proxy
# TestMetricsPrometheus scrapes quire with Debian's Prometheus 2.42 and checks
# the exposition with its promtool (service kept stopped, as above).
APT_PACKAGES += prometheus
UI_SOURCES   := $(shell find ui/src ui/public -type f 2>/dev/null) ui/index.html ui/vite.config.ts ui/tsconfig.json ui/package.json

.PHONY: all build ui run install test deps deps-apt deps-npm deps-widgets lint unit ui-test integration fuzz npm-test e2e bench bench-go bench-quick bench-metrics clean

all: build

# The web UI is built first (npm ci, type check, Vite) into ui/dist/app,
# which the Go build embeds.
build: ui
	$(GO) build -trimpath -o bin/quire ./cmd/quire

ui: ui/dist/app/index.html

ui/node_modules/.package-lock.json: ui/package.json ui/package-lock.json
	@node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit((a===20&&b>=19)||(a===22&&b>=12)||a>22?0:1)' 2>/dev/null || \
	  { echo "make: building the web UI needs Node.js 20.19+ or 22.12+ with npm (Vite 8); found: $$(node --version 2>&1)"; exit 1; }
	cd ui && npm ci --no-audit --no-fund

ui/dist/app/index.html: ui/node_modules/.package-lock.json $(UI_SOURCES)
	cd ui && npm run build

# Serves the repository itself; notebooks and checkpoints made there are
# git-ignored (.gitignore).
run: build
	./bin/quire --root-dir "$(CURDIR)"

# Copies bin/quire to $(PREFIX)/bin (default /usr/local/bin).
install: build
	install -D -m 0755 bin/quire "$(DESTDIR)$(PREFIX)/bin/quire"

# ---- test dependencies: installed by the Makefile, never by hand ---------

deps: deps-apt deps-npm deps-widgets $(STATICCHECK) $(VERSITYGW)

# ipywidgets 8 and comm from Debian 13 for the widget tests, unpacked under
# .tools (never installed into the system); the kernel gets them through
# PYTHONPATH=$(PYWIDGETS).
PYWIDGETS    := $(TOOLS)/pywidgets/usr/lib/python3/dist-packages
deps-widgets: $(PYWIDGETS)/ipywidgets/__init__.py

$(PYWIDGETS)/ipywidgets/__init__.py: tests/deps/trixie-python.sh
	rm -rf $(TOOLS)/pywidgets
	tests/deps/trixie-python.sh $(TOOLS)/pywidgets python3-ipywidgets python3-comm
	PYTHONPATH=$(PYWIDGETS) /usr/bin/python3 -c 'import ipywidgets; assert ipywidgets.__version__.startswith("8."), ipywidgets.__version__'

deps-apt:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "apt: installing$$missing"; \
	  policy=/usr/sbin/policy-rc.d; own=""; \
	  if [ ! -e $$policy ]; then printf '#!/bin/sh\nexit 101\n' > $$policy && chmod 755 $$policy && own=1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; rc=$$?; \
	  if [ -n "$$own" ]; then rm -f $$policy; fi; \
	  exit $$rc; \
	fi

deps-npm: tests/npm/node_modules/.package-lock.json tests/e2e/node_modules/.package-lock.json

tests/npm/node_modules/.package-lock.json: tests/npm/package.json tests/npm/package-lock.json
	cd tests/npm && npm ci --no-audit --no-fund

tests/e2e/node_modules/.package-lock.json: tests/e2e/package.json tests/e2e/package-lock.json
	cd tests/e2e && npm ci --no-audit --no-fund

$(STATICCHECK):
	GOBIN=$(TOOLS) CGO_ENABLED=0 $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(VERSITYGW):
	GOBIN=$(TOOLS) CGO_ENABLED=0 $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

# ---- tests ---------------------------------------------------------------

# Each suite in turn, saying how long it took (CI has 90 minutes on 2 cores).
TEST_SUITES := deps build lint unit ui-test integration fuzz npm-test e2e bench-quick
test:
	@all=$$(date +%s); for s in $(TEST_SUITES); do \
	  t=$$(date +%s); echo "make test: $$s ..."; \
	  $(MAKE) --no-print-directory $$s || { echo "make test: $$s FAILED after $$(( $$(date +%s) - t )) s"; exit 1; }; \
	  echo "make test: $$s passed in $$(( $$(date +%s) - t )) s"; \
	done; echo "make test: all suites passed in $$(( $$(date +%s) - all )) s"

lint: $(STATICCHECK)
	@bad=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './tests/npm/*')); \
	  if [ -n "$$bad" ]; then echo "gofmt needed:"; echo "$$bad"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	$(STATICCHECK) -tags integration ./tests/...
	$(GO) vet -tags integration ./tests/...
	$(GO) vet -tags nometrics ./internal/app/
	$(STATICCHECK) -tags nometrics ./internal/app/

unit: $(VERSITYGW)
	QUIRE_TEST_S3_REQUIRED=1 $(GO) test -count=1 ./...

ui-test: ui
	cd ui && npm test

integration: build $(VERSITYGW)
	QUIRE_TEST_S3_REQUIRED=1 QUIRE_BIN=$(CURDIR)/bin/quire $(GO) test -count=1 -tags integration -timeout 20m ./tests/...

fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

npm-test: build deps-npm $(VERSITYGW)
	cd tests/npm && QUIRE_TEST_S3_REQUIRED=1 QUIRE_BIN=$(CURDIR)/bin/quire node --test

# Playwright (playwright-core) driving Debian's chromium against the real
# binary and a real ipykernel; screenshots land in tests/e2e/artifacts.
e2e: build deps-apt deps-npm deps-widgets
	cd tests/e2e && QUIRE_BIN=$(CURDIR)/bin/quire CHROMIUM=/usr/bin/chromium node --test --test-concurrency=1

# Go micro-benchmarks of the hot paths, then Quire against jupyter_server
# in one run; the comparison rewrites bench/RESULTS.md.
bench: build deps-apt deps-npm bench-go $(VERSITYGW)
	$(GO) run ./bench -quire bin/quire

bench-go:
	$(GO) test -run='^$$' -bench=. -benchmem ./internal/...

# Every scenario with tiny counts: checks the harness works, asserts no
# timings, never touches bench/RESULTS.md.
bench-quick: build deps-apt deps-npm $(VERSITYGW)
	$(GO) run ./bench -quire bin/quire -quick

# Issue #21's rule: metrics must not move start time or idle RSS beyond
# their run-to-run spread. Quire beside the same tree built without metrics
# (-tags nometrics), 20 starts each, alternating; writes a temp file.
bench-metrics: build
	$(GO) build -trimpath -tags nometrics -o bin/quire-nometrics ./cmd/quire
	$(GO) run ./bench -quire bin/quire -compare-quire bin/quire-nometrics -scenarios start -start-runs 20 -out $$(mktemp /tmp/quire-bench-metrics-XXXXXX.md)

clean:
	rm -rf bin .tools
