package metrics_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"quire/internal/metrics"
)

// expose returns the registry's exposition.
func expose(t *testing.T, r *metrics.Registry) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := r.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// lines returns the exposition's sample lines that start with prefix.
func lines(text, prefix string) []string {
	var out []string
	for l := range strings.Lines(text) {
		if strings.HasPrefix(l, prefix) {
			out = append(out, strings.TrimSuffix(l, "\n"))
		}
	}
	return out
}

func TestExpositionHelpTypeAndOrder(t *testing.T) {
	r := metrics.NewRegistry()
	r.NewCounter("b_total", "B things.\nSecond line with a \\.").Add(3)
	r.NewGauge("a_level", "A level.", func() float64 { return 1.5 })
	r.NewCollected("c_info", "C.", metrics.Gauge, func() []metrics.Sample {
		return []metrics.Sample{{Labels: []string{"v", `quote " back \ nl` + "\n"}, Value: 1}}
	})
	got := expose(t, r)
	want := `# HELP a_level A level.
# TYPE a_level gauge
a_level 1.5
# HELP b_total B things.\nSecond line with a \\.
# TYPE b_total counter
b_total 3
# HELP c_info C.
# TYPE c_info gauge
c_info{v="quote \" back \\ nl\n"} 1
`
	if got != want {
		t.Errorf("exposition:\n%s\nwant:\n%s", got, want)
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	r := metrics.NewRegistry()
	r.NewCounter("x_total", "X.")
	defer func() {
		if recover() == nil {
			t.Error("a second x_total did not panic")
		}
	}()
	r.NewCounter("x_total", "X again.")
}

func TestCounterVecBoundsLabels(t *testing.T) {
	r := metrics.NewRegistry()
	v := r.NewCounterVec("ev_total", "Events.", []string{"dir", "ch"}, []string{"in", "out"}, []string{"a", "other"})
	for _, tc := range []struct{ dir, ch string }{
		{"in", "a"}, {"in", "a"}, {"out", "zzz"}, {"sideways", "a"}, {"in", "/home/user/secret.ipynb"},
	} {
		v.With(tc.dir, tc.ch).Inc()
	}
	got := lines(expose(t, r), "ev_total")
	want := []string{
		`ev_total{dir="in",ch="a"} 2`,
		`ev_total{dir="in",ch="other"} 1`,
		`ev_total{dir="out",ch="a"} 0`,
		`ev_total{dir="out",ch="other"} 1`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("series:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestMiddlewareLabelsByRoute serves requests through a ServeMux the way
// httpapi does (Routed after the mux) and checks the handler label is the
// route pattern without base URL or method, never the path.
func TestMiddlewareLabelsByRoute(t *testing.T) {
	s := metrics.NewServer("/base/")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /base/api/kernels/{id}", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("PUT /base/api/contents/{path...}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusPreconditionFailed)
	})
	routed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		metrics.Routed(r)
	})
	// A refusal before the route table, as the auth middleware gives.
	h := s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		routed.ServeHTTP(w, r)
	}))
	for _, tc := range []struct {
		method, path string
		auth         bool
	}{
		{"GET", "/base/api/kernels/0b4e-1", true},
		{"GET", "/base/api/kernels/0b4e-2", true},
		{"PUT", "/base/api/contents/dir/private.ipynb", true},
		{"GET", "/base/api/kernels/0b4e-3", false},
		{"BREW", "/base/nowhere", true},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		if tc.auth {
			req.Header.Set("Authorization", "token x")
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	got := lines(expose(t, s.Registry), "http_request_duration_seconds_count")
	want := []string{
		`http_request_duration_seconds_count{method="GET",handler="/api/kernels/{id}",status_code="200"} 2`,
		`http_request_duration_seconds_count{method="GET",handler="none",status_code="403"} 1`,
		`http_request_duration_seconds_count{method="PUT",handler="/api/contents/{path...}",status_code="412"} 1`,
		`http_request_duration_seconds_count{method="other",handler="none",status_code="404"} 1`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("series:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestServerHooks(t *testing.T) {
	s := metrics.NewServer("/")
	s.Connected("kernel", 1)
	s.Connected("kernel", 1)
	s.Connected("terminal", 1)
	s.Connected("kernel", -1)
	s.Forwarded("out", "iopub", 100)
	s.Forwarded("out", "iopub", 20)
	s.Forwarded("in", "shell", 7)
	s.Event("start")
	s.Event("start")
	s.Event("heartbeat_miss")
	s.Event("no such event")
	s.OutputOmitted(1<<20, 3)
	s.Login("failure")
	s.Login("throttled")
	s.ObserveKernels(func() []string { return []string{"python3", "ir"} }, func() map[string]int { return map[string]int{"python3": 2, "gone": 1} })
	s.ObserveTerminals(func() int { return 1 })
	s.ObserveAuditWriteErrors(func() uint64 { return 4 })
	text := expose(t, s.Registry)
	for _, want := range []string{
		`quire_websocket_clients{kind="kernel"} 1`,
		`quire_websocket_clients{kind="terminal"} 1`,
		`quire_websocket_messages_total{direction="out",channel="iopub"} 2`,
		`quire_websocket_bytes_total{direction="out",channel="iopub"} 120`,
		`quire_websocket_bytes_total{direction="in",channel="shell"} 7`,
		`quire_kernel_starts_total 2`,
		`quire_kernel_heartbeat_misses_total 1`,
		`quire_kernel_deaths_total 0`,
		`quire_output_omitted_bytes_total 1048576`,
		`quire_output_omitted_messages_total 3`,
		`quire_logins_total{result="failure"} 1`,
		`quire_logins_total{result="success"} 0`,
		`kernel_currently_running_total{type="ir"} 0`,
		`kernel_currently_running_total{type="python3"} 2`,
		`kernel_currently_running_total{type="other"} 1`,
		`terminal_currently_running_total 1`,
		`quire_audit_write_errors_total 4`,
		"# TYPE kernel_currently_running_total gauge",
		"# TYPE http_request_duration_seconds histogram",
		"# TYPE process_cpu_seconds_total counter",
		"# TYPE go_goroutines gauge",
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("exposition lacks %q", want)
		}
	}
}

func TestHandler(t *testing.T) {
	s := metrics.NewServer("/")
	for _, method := range []string{"GET", "HEAD"} {
		w := httptest.NewRecorder()
		s.Registry.Handler().ServeHTTP(w, httptest.NewRequest(method, "/metrics", nil))
		if w.Code != 200 || w.Header().Get("Content-Type") != metrics.ContentType {
			t.Errorf("%s: %d %q", method, w.Code, w.Header().Get("Content-Type"))
		}
		if body := w.Body.String(); (method == "HEAD") != (body == "") {
			t.Errorf("%s: body of %d bytes", method, len(body))
		}
	}
}

// With runs for every WebSocket message: it must not allocate.
func TestCounterVecWithAllocs(t *testing.T) {
	v := metrics.NewRegistry().NewCounterVec("x_total", "x", []string{"a", "b"}, []string{"in", "out"}, []string{"shell", "other"})
	if n := testing.AllocsPerRun(100, func() { v.With("in", "shell").Inc() }); n != 0 {
		t.Errorf("With allocates %v times a call", n)
	}
}
