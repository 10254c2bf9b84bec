# Quire: `make run` builds and serves the current directory; `make test`
# installs what the tests need (apt, npm, Go tools) and runs every test.

SHELL        := /bin/bash
GO           ?= go
export CGO_ENABLED ?= 0
TOOLS        := $(CURDIR)/.tools
STATICCHECK  := $(TOOLS)/staticcheck
STATICCHECK_VERSION := v0.8.2
FUZZTIME     ?= 10s
APT_PACKAGES := python3-jupyter-server python3-ipykernel python3-nbformat python3-websocket

.PHONY: all build run test deps deps-apt deps-npm lint unit integration fuzz npm-test bench bench-go bench-quick clean

all: build

build:
	$(GO) build -trimpath -o bin/quire ./cmd/quire

run: build
	./bin/quire --root-dir "$(CURDIR)"

# ---- test dependencies: installed by the Makefile, never by hand ---------

deps: deps-apt deps-npm $(STATICCHECK)

deps-apt:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "apt: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

deps-npm: tests/npm/node_modules/.package-lock.json

tests/npm/node_modules/.package-lock.json: tests/npm/package.json tests/npm/package-lock.json
	cd tests/npm && npm ci --no-audit --no-fund

$(STATICCHECK):
	GOBIN=$(TOOLS) CGO_ENABLED=0 $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

# ---- tests ---------------------------------------------------------------

test: deps build lint unit integration fuzz npm-test bench-quick
	@echo "make test: all suites passed"

lint: $(STATICCHECK)
	@bad=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './tests/npm/*')); \
	  if [ -n "$$bad" ]; then echo "gofmt needed:"; echo "$$bad"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	$(STATICCHECK) -tags integration ./tests/...
	$(GO) vet -tags integration ./tests/...

unit:
	$(GO) test -count=1 ./...

integration: build
	QUIRE_BIN=$(CURDIR)/bin/quire $(GO) test -count=1 -tags integration -timeout 20m ./tests/...

fuzz:
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

npm-test: build deps-npm
	cd tests/npm && QUIRE_BIN=$(CURDIR)/bin/quire node --test

# Go micro-benchmarks of the hot paths, then Quire against jupyter_server
# in one run; the comparison rewrites bench/RESULTS.md.
bench: build deps-apt bench-go
	$(GO) run ./bench -quire bin/quire

bench-go:
	$(GO) test -run='^$$' -bench=. -benchmem ./internal/...

# Every scenario with tiny counts: checks the harness works, asserts no
# timings, never touches bench/RESULTS.md.
bench-quick: build deps-apt
	$(GO) run ./bench -quire bin/quire -quick

clean:
	rm -rf bin .tools
