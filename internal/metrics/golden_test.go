package metrics_test

import (
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"quire/internal/metrics"
)

var update = flag.Bool("update", false, "rewrite testdata/exposition.golden")

// TestExpositionGolden drives every family Quire registers through its
// hooks and compares the whole exposition, but the process_* and go_*
// figures (the process's own, different on every run), with
// testdata/exposition.golden. The file was written by the implementation
// on VictoriaMetrics/metrics (issue #21 replaced it): names, labels, order
// and number formats stay what dashboards and promtool saw.
func TestExpositionGolden(t *testing.T) {
	s := metrics.NewServer("/q/")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /q/api/status", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("PUT /q/api/contents/{path...}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusConflict)
	})
	h := s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		metrics.Routed(r)
	}))
	for _, rq := range []struct{ method, path string }{
		{"GET", "/q/api/status"}, {"GET", "/q/api/status"}, {"PUT", "/q/api/contents/a.ipynb"},
		{"POST", "/q/api/status"}, {"GET", "/elsewhere"},
	} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(rq.method, rq.path, nil))
	}
	s.Connected("kernel", 1)
	s.Connected("terminal", 1)
	s.Connected("terminal", 1)
	for _, f := range []struct {
		dir, ch string
		n       int
	}{{"in", "shell", 10}, {"out", "iopub", 300}, {"out", "iopub", 5}, {"in", "nonsense", 1}, {"up", "shell", 1}, {"out", "terminal", 1 << 40}} {
		s.Forwarded(f.dir, f.ch, f.n)
	}
	for _, e := range []string{"start", "start", "restart", "death", "heartbeat_miss", "slow_client", "unknown"} {
		s.Event(e)
	}
	s.SlowTerminalClient()
	s.OutputOmitted(123456789, 12)
	s.Login("success")
	s.Login("failure")
	s.Login("failure")
	s.Login("bogus")
	s.ContentsRead.Add(2_000_000)
	s.ContentsWritten.Add(7)
	s.Saves.Inc()
	s.SaveConflicts.Inc()
	s.ObserveKernels(func() []string { return []string{"python3", "ir"} }, func() map[string]int { return map[string]int{"python3": 3, "gone": 2} })
	s.ObserveTerminals(func() int { return 2 })
	s.ObserveOfflineBuffers(func() int { return 1234567 })
	s.ObserveSessions(func() int { return 5 })
	s.ObserveAuditWriteErrors(func() uint64 { return 9 })

	var kept []string
	for l := range strings.Lines(expose(t, s.Registry)) {
		name := strings.TrimPrefix(strings.TrimPrefix(l, "# HELP "), "# TYPE ")
		if strings.HasPrefix(name, "process_") || strings.HasPrefix(name, "go_") {
			continue
		}
		// Durations vary with the machine's load: blank the finite
		// buckets' and the sum's values (the +Inf bucket and the count
		// are the number of requests). The histogram below has fixed
		// observations.
		if strings.HasPrefix(l, "http_request_duration_seconds_sum") ||
			strings.HasPrefix(l, "http_request_duration_seconds_bucket") && !strings.Contains(l, `le="+Inf"`) {
			l = l[:strings.LastIndexByte(l, ' ')] + " N\n"
		}
		kept = append(kept, l)
	}
	r := metrics.NewRegistry()
	hv := r.NewHistogramVec("h_seconds", "H.", []string{"k"}, []float64{.005, .25, 1, 2.5})
	for _, o := range []struct {
		v float64
		k string
	}{{0.003, "a"}, {0.25, "a"}, {2, "a"}, {1, "b"}, {2, "b"}, {99, "b"}, {0.0001, `c"q`}} {
		hv.Observe(o.v, o.k)
	}
	kept = append(kept, expose(t, r))
	got := strings.Join(kept, "")
	path := filepath.Join("testdata", "exposition.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("exposition differs from %s:\n%s", path, got)
	}
}
