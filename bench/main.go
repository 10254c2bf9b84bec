// Command bench compares Quire with jupyter_server on the same machine in
// the same run, over the public HTTP API only, and writes the medians and
// their ratios as a Markdown table (bench/RESULTS.md by default).
//
//	go run ./bench            # full run, writes bench/RESULTS.md
//	go run ./bench -quick     # tiny counts; checks the harness, writes a temp file
//
// It builds nothing: bin/quire must exist (make build). With BENCH_KEEP=1
// in the environment the temporary directory (each server's HOME with its
// server.log) is kept and its path printed, for looking into a failure.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	if port := os.Getenv(wsEchoEnv); port != "" {
		os.Exit(serveWSEcho(port)) // the harness re-run as terminal's WebSocket echo floor
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// config is the harness's settings after flag parsing.
type config struct {
	quire, python string
	quireArg      string // -quire as given, for the header
	out           string
	outGiven      bool
	quick         bool
	only          []string // scenario names to run; empty = all
	profile       string   // -profile: where Quire writes pprof profiles
	// auditCompare: the second server is Quire with its audit log on
	// (-audit-compare) instead of jupyter_server.
	auditCompare bool
	// compareQuire: the second server is this other Quire binary
	// (-compare-quire, e.g. built with -tags nometrics) instead of
	// jupyter_server.
	compareQuire string

	startRuns  int
	idleWait   time.Duration
	nbBytes    int
	nbRuns     int
	listFiles  int
	listRuns   int
	smallFiles int

	kernelRuns int // kernel-start rounds
	execRounds int
	// contentsRounds: rounds of the contents scenario per server (1;
	// more alternate the servers, for comparisons on a busy machine).
	contentsRounds int
	execIters      int
	execWarm       int
	iopubRounds    int
	iopubMB        int // 1 MiB writes
	iopubLines     int
	concRounds     int
	concKernels    int
	concFor        time.Duration
	fanClients     int
	fanRuns        int
	rssKernels     []int

	floodAttempts int // wrong-password logins in login-flood
	floodClients  int
	scaleKernels  []int // kernel counts in kernel-scale
	scaleFor      time.Duration

	termRounds int // terminal: rounds, each on a fresh server
	termKeys   int // terminal: timed keystrokes per round
	termWarm   int // terminal: untimed keystrokes first
	termSeq    int // terminal: n of `seq 1 n`
	termCount  int // terminal-rss: terminals opened

	proxyRounds int // proxies: rounds, each with a fresh Quire per path

	hubRounds int // hub: rounds, each spawning hubUsers servers per server kind
	hubUsers  int

	soakFor    time.Duration // soak: how long the load runs
	soakSettle time.Duration // soak: wait after the load before reading levels
	soakIdle   time.Duration // soak: the server's --http-idle-timeout
}

// defaults returns the counts for a full or a quick run.
func defaults(quick bool) config {
	if quick {
		return config{startRuns: 2, idleWait: 2 * time.Second, nbBytes: 1_000_000, nbRuns: 1,
			listFiles: 50, listRuns: 2, smallFiles: 5,
			contentsRounds: 1, kernelRuns: 1, execRounds: 1, execIters: 10, execWarm: 2,
			iopubRounds: 1, iopubMB: 5, iopubLines: 10_000,
			concRounds: 1, concKernels: 2, concFor: time.Second,
			fanClients: 5, fanRuns: 2, rssKernels: []int{1, 2},
			floodAttempts: 40, floodClients: 2, scaleKernels: []int{1, 2}, scaleFor: 2 * time.Second,
			termRounds: 1, termKeys: 10, termWarm: 2, termSeq: 20_000, termCount: 2, proxyRounds: 1, hubRounds: 1, hubUsers: 2,
			soakFor: 25 * time.Second, soakSettle: 40 * time.Second, soakIdle: 5 * time.Second}
	}
	return config{startRuns: 7, idleWait: 2 * time.Second, nbBytes: 20_000_000, nbRuns: 5,
		listFiles: 2000, listRuns: 10, smallFiles: 100,
		contentsRounds: 1, kernelRuns: 5, execRounds: 2, execIters: 200, execWarm: 20,
		iopubRounds: 2, iopubMB: 50, iopubLines: 200_000,
		concRounds: 1, concKernels: 8, concFor: 10 * time.Second,
		fanClients: 50, fanRuns: 5, rssKernels: []int{1, 8, 32},
		floodAttempts: 1000, floodClients: 8, scaleKernels: []int{1, 8, 32, 64}, scaleFor: 10 * time.Second,
		termRounds: 3, termKeys: 500, termWarm: 20, termSeq: 3_000_000, termCount: 20, proxyRounds: 4, hubRounds: 2, hubUsers: 20,
		soakFor: 30 * time.Minute, soakSettle: 40 * time.Second, soakIdle: 5 * time.Second}
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quire := fs.String("quire", "bin/quire", "Quire binary to run (built beforehand)")
	python := fs.String("python", "/usr/bin/python3", "Python interpreter that has jupyter_server")
	out := fs.String("out", "bench/RESULTS.md", "results file (with -quick: a temp file unless given)")
	quick := fs.Bool("quick", false, "tiny counts, 1 MB notebook, 50-file directory: checks that the harness works")
	startRuns := fs.Int("start-runs", 0, "server starts per server (default 7; quick 2)")
	idle := fs.Duration("idle-wait", 0, "wait after ready before reading idle RSS (default 2s)")
	nbMB := fs.Float64("notebook-mb", 0, "size of the generated notebook in MB (default 20; quick 1)")
	nbRuns := fs.Int("notebook-runs", 0, "PUTs and GETs of the notebook (default 5; quick 1)")
	listFiles := fs.Int("list-files", 0, "files in the listed directory (default 2000; quick 50)")
	listRuns := fs.Int("list-runs", 0, "listings of that directory (default 10; quick 2)")
	small := fs.Int("small-files", 0, "small files created and deleted (default 100; quick 5)")
	kernelRuns := fs.Int("kernel-runs", 0, "kernel-start rounds per server (default 5; quick 1)")
	execRounds := fs.Int("exec-rounds", 0, "rounds of kernel-exec per server, alternating (default 2; quick 1)")
	contentsRounds := fs.Int("contents-rounds", 0, "rounds of contents per server, alternating (default 1)")
	execIters := fs.Int("exec-iters", 0, "timed execute_requests per client in kernel-exec (default 200; quick 10)")
	concFor := fs.Duration("concurrent-for", 0, "how long kernel-concurrent executes (default 10s; quick 1s)")
	fanClients := fs.Int("fanout-clients", 0, "WebSockets on one kernel in kernel-fanout (default 50; quick 5)")
	rssKernels := fs.String("rss-kernels", "", "kernel counts for kernel-rss, comma-separated (default 1,8,32; quick 1,2)")
	scaleKernels := fs.String("scale-kernels", "", "kernel counts for kernel-scale, comma-separated (default 1,8,32,64; quick 1,2)")
	scaleFor := fs.Duration("scale-for", 0, "how long kernel-scale executes at each count (default 10s; quick 2s)")
	hubUsers := fs.Int("hub-users", 0, "users' servers spawned per round and server kind in the hub scenario (default 20; quick 2)")
	floodAttempts := fs.Int("flood-attempts", 0, "wrong-password logins in login-flood (default 1000; quick 40)")
	soakFor := fs.Duration("soak-duration", 0, "how long the soak scenario's load runs (default 30m; quick 25s)")
	soakSettle := fs.Duration("soak-settle", 0, "soak: wait after the load before the levels are read (default 40s: idle connections close, the buffer cache drops what is unused for 30s)")
	profile := fs.String("profile", "", "directory for Quire's CPU and heap profiles (one pair per server start; pprof format)")
	auditCompare := fs.Bool("audit-compare", false, "compare Quire with its audit log off and on (--audit-log FILE --audit-execute=hash, issue #21) instead of with jupyter_server")
	compareQuire := fs.String("compare-quire", "", "compare Quire with this other Quire binary (e.g. go build -tags nometrics: the same tree without metrics, issue #21) instead of with jupyter_server")
	only := fs.String("scenarios", "", "comma-separated scenarios to run (default: all of "+strings.Join(scenarioNames(), ",")+")")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	cfg := defaults(*quick)
	cfg.quire, cfg.python, cfg.out, cfg.quick = *quire, *python, *out, *quick
	cfg.quireArg = *quire
	cfg.auditCompare = *auditCompare
	cfg.compareQuire = *compareQuire
	if cfg.auditCompare && cfg.compareQuire != "" {
		return config{}, errors.New("-audit-compare and -compare-quire each choose the second server: give one")
	}
	// Servers run in their own directories, so relative paths are made absolute.
	for _, p := range []*string{&cfg.quire, &cfg.python, &cfg.compareQuire} {
		if strings.Contains(*p, "/") {
			abs, err := filepath.Abs(*p)
			if err != nil {
				return config{}, err
			}
			*p = abs
		}
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "out" {
			cfg.outGiven = true
		}
	})
	for _, o := range []struct {
		v   int
		dst *int
	}{{*startRuns, &cfg.startRuns}, {*nbRuns, &cfg.nbRuns}, {*listFiles, &cfg.listFiles},
		{*listRuns, &cfg.listRuns}, {*small, &cfg.smallFiles}, {*kernelRuns, &cfg.kernelRuns},
		{*execIters, &cfg.execIters}, {*execRounds, &cfg.execRounds}, {*contentsRounds, &cfg.contentsRounds}, {*fanClients, &cfg.fanClients}, {*floodAttempts, &cfg.floodAttempts}, {*hubUsers, &cfg.hubUsers}} {
		if o.v < 0 {
			return config{}, errors.New("counts must be positive")
		}
		if o.v > 0 {
			*o.dst = o.v
		}
	}
	if *profile != "" {
		abs, err := filepath.Abs(*profile)
		if err == nil {
			err = os.MkdirAll(abs, 0o755)
		}
		if err != nil {
			return config{}, fmt.Errorf("-profile: %w", err)
		}
		cfg.profile = abs
	}
	if *only != "" {
		for _, n := range strings.Split(*only, ",") {
			if !slices.Contains(scenarioNames(), n) {
				return config{}, fmt.Errorf("unknown scenario %q (have %s)", n, strings.Join(scenarioNames(), ", "))
			}
			cfg.only = append(cfg.only, n)
		}
	}
	if *concFor > 0 {
		cfg.concFor = *concFor
	}
	if *scaleFor > 0 {
		cfg.scaleFor = *scaleFor
	}
	if *soakFor > 0 {
		cfg.soakFor = *soakFor
	}
	if *soakSettle > 0 {
		cfg.soakSettle = *soakSettle
	}
	for _, o := range []struct {
		name string
		v    string
		dst  *[]int
	}{{"rss-kernels", *rssKernels, &cfg.rssKernels}, {"scale-kernels", *scaleKernels, &cfg.scaleKernels}} {
		if o.v == "" {
			continue
		}
		*o.dst = nil
		for _, f := range strings.Split(o.v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return config{}, fmt.Errorf("-%s: %q is not a positive count", o.name, f)
			}
			*o.dst = append(*o.dst, n)
		}
	}
	if *idle > 0 {
		cfg.idleWait = *idle
	}
	if *nbMB > 0 {
		cfg.nbBytes = int(*nbMB * 1e6)
	}
	return cfg, nil
}

// env is what every scenario shares during one harness run.
type env struct {
	cfg     config
	tmp     string   // removed at exit
	cleanup *cleanup // every started process and temp dir
	log     io.Writer
	nb      *notebook  // generated once; the same bytes for every server
	seen    []string   // facts observed during the run, for the header
	pwHash  string     // login-flood's argon2 hash, made once per run
	hello   helloFloor // start's floor server, built once per run
}

// observe records a fact about a server for the results header, once.
func (e *env) observe(fact string) {
	if !slices.Contains(e.seen, fact) {
		e.seen = append(e.seen, fact)
	}
}

// cleanup runs registered functions once, last added first. run is
// deferred by run(), so it also runs on errors and panics.
type cleanup struct {
	mu  sync.Mutex
	fns []func()
}

func (c *cleanup) add(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fns = append(c.fns, f)
}

func (c *cleanup) run() {
	c.mu.Lock()
	fns := c.fns
	c.fns = nil
	c.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}

// scenario is one workload. run measures one round of it against one
// server kind, starting and stopping whatever it needs, and returns
// observations for the scenario's metrics. The harness alternates the
// servers round by round (and which goes first), so drifts in machine
// load hit both alike. A new scenario is one of these, listed in
// scenarios.
type scenario struct {
	name    string
	about   string // one line for the results file: what is measured, how often
	metrics []metric
	rounds  int
	warmup  bool // run one uncounted round per server first
	// solo: only the first server (Quire) runs it, as nothing compares;
	// the others' cells read "not run", and so do Quire's when its run
	// returns no samples and no error (skipped: a tool is missing).
	solo bool
	run  func(ctx context.Context, e *env, sp spec) (samples, error)
}

// scenarios lists every scenario in the order they run, filtered by
// -scenarios.
func scenarios(cfg config) []scenario {
	all := []scenario{startScenario(cfg), contentsScenario(cfg), contentsS3Scenario(cfg),
		kernelStartScenario(cfg), execScenario(cfg), iopubScenario(cfg),
		concurrentScenario(cfg), fanoutScenario(cfg), kernelRSSScenario(cfg),
		loginFloodScenario(cfg), slowBodyScenario(cfg), kernelScaleScenario(cfg), uiScenario(cfg), uiCompareScenario(cfg), hugeScenario(cfg),
		terminalScenario(cfg), terminalRSSScenario(cfg), proxiesScenario(cfg), hubScenario(cfg), soakScenario(cfg)}
	if len(cfg.only) == 0 {
		return all
	}
	return slices.DeleteFunc(all, func(sc scenario) bool { return !slices.Contains(cfg.only, sc.name) })
}

func scenarioNames() []string {
	var names []string
	for _, sc := range scenarios(defaults(false)) {
		names = append(names, sc.name)
	}
	return names
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	var cl cleanup
	defer cl.run()

	info, err := probe(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		fmt.Fprintln(stderr, "bench: nothing was measured; no results written")
		return 1
	}
	tmp, err := os.MkdirTemp("", "quire-bench-")
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	if os.Getenv("BENCH_KEEP") == "" {
		cl.add(func() { os.RemoveAll(tmp) })
	} else {
		fmt.Fprintln(stderr, "bench: keeping", tmp)
	}
	e := &env{cfg: cfg, tmp: tmp, cleanup: &cl, log: stderr}

	specs := []spec{quireSpec(cfg.quire, cfg.profile), jupyterSpec(cfg.python)}
	if cfg.auditCompare {
		specs[1] = auditSpec(quireSpec(cfg.quire, ""))
	}
	if cfg.compareQuire != "" {
		specs[1] = quireSpec(cfg.compareQuire, "")
		specs[1].name = "Quire(" + filepath.Base(cfg.compareQuire) + ")"
	}
	tb := newTable(specs[0].name, specs[1].name)
	scs := scenarios(cfg)
	var failures []string
	began := time.Now()
	for _, sc := range scs {
		failures = append(failures, runScenario(ctx, e, sc, specs, tb)...)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "bench: interrupted; no results written")
		return 1
	}
	fmt.Fprintf(stderr, "bench: all scenarios took %.0fs\n", time.Since(began).Seconds())

	md := tb.markdown()
	fmt.Fprint(stdout, "\n"+md)
	path, err := writeResults(cfg, header(cfg, info, scs, e.nb, e.seen), md, failures)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	fmt.Fprintln(stderr, "bench: wrote", path)
	if len(failures) > 0 {
		fmt.Fprintf(stderr, "bench: %d failure(s):\n", len(failures))
		for _, f := range failures {
			fmt.Fprintln(stderr, "  -", f)
		}
		return 1
	}
	return 0
}

// runScenario runs sc's rounds, alternating the servers, records what each
// server measured in tb and returns the failures. A server that fails a
// round gets no numbers for the scenario; the other goes on.
func runScenario(ctx context.Context, e *env, sc scenario, specs []spec, tb *table) []string {
	tb.addMetrics(sc.metrics...)
	got := make(map[string]samples)
	failed := make(map[string]bool)
	var failures []string
	first := 0
	if sc.warmup {
		first = -1
	}
	for round := first; round < sc.rounds; round++ {
		order := slices.Clone(specs)
		if sc.solo {
			order = slices.Clone(specs[:1])
		}
		if round%2 != 0 {
			slices.Reverse(order)
		}
		for _, sp := range order {
			if ctx.Err() != nil || failed[sp.name] {
				continue
			}
			label := fmt.Sprintf("round %d/%d", round+1, sc.rounds)
			if round < 0 {
				label = "warm-up"
			}
			t0 := time.Now()
			s, err := sc.run(ctx, e, sp)
			if err != nil {
				failed[sp.name] = true
				msg := fmt.Sprintf("%s, scenario %s (%s): %v", sp.name, sc.name, label, err)
				failures = append(failures, msg)
				fmt.Fprintln(e.log, "bench: FAILED:", msg)
				continue
			}
			fmt.Fprintf(e.log, "bench: %-8s %-11s %-15s %5.1fs\n", sc.name, label, sp.name, time.Since(t0).Seconds())
			if round < 0 || s == nil {
				continue // a warm-up, or skipped (a solo scenario then reads "not run")
			}
			if got[sp.name] == nil {
				got[sp.name] = make(samples)
			}
			for k, v := range s {
				got[sp.name][k] = append(got[sp.name][k], v...)
			}
		}
	}
	for i, sp := range specs {
		if sc.solo && (i > 0 || (got[sp.name] == nil && !failed[sp.name])) {
			continue // not run, or skipped
		}
		tb.record(sp.name, sc.metrics, got[sp.name], !failed[sp.name] && ctx.Err() == nil)
	}
	return failures
}

// writeResults writes the results file, keeping the notes of an existing
// one. A quick run never writes bench/RESULTS.md unless -out says so.
func writeResults(cfg config, head, tableMD string, failures []string) (string, error) {
	path := cfg.out
	if cfg.quick && !cfg.outGiven {
		f, err := os.CreateTemp("", "quire-bench-quick-*.md")
		if err != nil {
			return "", err
		}
		path = f.Name()
		f.Close()
	}
	notes, err := keptNotes(path)
	if err != nil {
		return "", err
	}
	if len(failures) > 0 {
		var b strings.Builder
		b.WriteString("\n**This run had failures; rows marked failed have no numbers.**\n\n")
		for _, f := range failures {
			first, _, _ := strings.Cut(f, "\n") // server log tails go to stderr only
			b.WriteString("- " + first + "\n")
		}
		tableMD += b.String()
	}
	doc := document(head, tableMD, notes)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(doc), 0o644); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}
