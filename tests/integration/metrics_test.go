//go:build integration

package integration

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"quire/tests/internal/harness"
)

// metricFamilies are the families every Quire exposition holds (README,
// "Metrics"); terminal_currently_running_total needs --terminals.
var metricFamilies = []string{
	"http_request_duration_seconds", "kernel_currently_running_total", "terminal_currently_running_total",
	"quire_websocket_clients", "quire_websocket_messages_total", "quire_websocket_bytes_total",
	"quire_output_omitted_bytes_total", "quire_output_omitted_messages_total", "quire_slow_clients_disconnected_total",
	"quire_kernel_offline_buffer_bytes", "quire_kernel_starts_total", "quire_kernel_restarts_total",
	"quire_kernel_deaths_total", "quire_kernel_heartbeat_misses_total",
	"quire_contents_read_bytes_total", "quire_contents_written_bytes_total",
	"quire_contents_saves_total", "quire_contents_save_conflicts_total",
	"quire_logins_total", "quire_browser_sessions",
	"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds", "process_max_fds",
	"process_start_time_seconds", "go_goroutines", "go_gc_cycles_total",
}

// scrape GETs path with the given Authorization header ("" = none) and
// returns the status and body.
func scrape(t *testing.T, rawURL, authz string) (int, string) {
	t.Helper()
	r, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authz != "" {
		r.Header.Set("Authorization", authz)
	}
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	status, body, _ := send(t, c, r)
	return status, string(body)
}

// seriesOf returns the exposition's series (name and labels, no value),
// sorted, and the families its TYPE lines declare.
func seriesOf(t *testing.T, text string) (series []string, families map[string]string) {
	t.Helper()
	families = map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			f := strings.Fields(rest)
			if len(f) == 2 {
				families[f[0]] = f[1]
			}
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			t.Fatalf("exposition line without a value: %q", line)
		}
		series = append(series, line[:i])
	}
	sort.Strings(series)
	return series, families
}

// promtoolRemarks are what promtool check metrics says of the two gauges
// jupyter_server named with _total, which Quire keeps for its dashboards
// (issue #21); any other remark fails the test.
var promtoolRemarks = []string{
	`kernel_currently_running_total non-counter metrics should not have "_total" suffix`,
	`terminal_currently_running_total non-counter metrics should not have "_total" suffix`,
}

// TestMetricsPrometheus scrapes Quire with Debian's Prometheus 2.42 over
// a bearer token while two kernels and a terminal run, asks Prometheus'
// HTTP API for what it scraped, and has promtool lint the exposition.
func TestMetricsPrometheus(t *testing.T) {
	needIPyKernel(t)
	for _, p := range []string{"prometheus", "promtool"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("SKIPPED: %s is not installed (apt-get install prometheus, or make deps-apt)", p)
		}
	}
	metricsPort := freePort(t)
	in := startQuire(t, opts{args: []string{"--metrics-addr", ":" + metricsPort}})
	bearer := "Bearer " + in.Token

	// Behind the usual authentication; the bearer token and the token
	// scheme pass, the separate loopback address needs none.
	if status, _ := scrape(t, in.URL+"metrics", ""); status == http.StatusOK {
		t.Fatalf("GET metrics without credentials = 200, want a refusal")
	}
	if status, _ := scrape(t, in.URL+"metrics", "Bearer wrong"); status == http.StatusOK {
		t.Fatalf("GET metrics with a wrong bearer token = 200, want a refusal")
	}
	for _, authz := range []string{bearer, "token " + in.Token} {
		if status, body := scrape(t, in.URL+"metrics", authz); status != http.StatusOK || !strings.Contains(body, "# TYPE http_request_duration_seconds histogram") {
			t.Fatalf("GET metrics with %s…: %d %.200s", authz[:6], status, body)
		}
	}
	if status, _ := scrape(t, "http://127.0.0.1:"+metricsPort+"/metrics", ""); status != http.StatusOK {
		t.Fatalf("GET /metrics on --metrics-addr without credentials = %d, want 200", status)
	}
	// DNS rebinding: a page's own name in Host is refused on loopback.
	r, _ := http.NewRequest("GET", "http://127.0.0.1:"+metricsPort+"/metrics", nil)
	r.Host = "rebind.example:" + metricsPort
	if status, _, _ := send(t, http.DefaultClient, r); status != http.StatusForbidden {
		t.Errorf("GET /metrics on --metrics-addr with Host rebind.example = %d, want 403", status)
	}

	startKernel(t, in)
	startKernel(t, in)
	mustCreateTerminal(t, in, nil)
	// A failed login and one that opens a browser session.
	if loginWithPassword(t, in, in.client(), "wrong") {
		t.Fatal("login with a wrong password succeeded")
	}
	if !loginWithPassword(t, in, in.client(), in.Token) {
		t.Fatal("login with the token failed")
	}
	// A save, and one refused as stale (412).
	file := map[string]any{"type": "file", "format": "text", "content": "hello"}
	if st, b, _ := apiJSON(t, in, "PUT", "api/contents/a.txt", file); st != 201 {
		t.Fatalf("PUT api/contents/a.txt = %d %s", st, b)
	}
	req := in.req("PUT", "api/contents/a.txt", jsonBody(t, file))
	req.Header.Set("If-Match", `"stale"`)
	if st, b, _ := in.do(req); st != http.StatusPreconditionFailed {
		t.Fatalf("PUT api/contents/a.txt with a stale If-Match = %d %s, want 412", st, b)
	}

	// promtool: only the known remarks on the _total gauges.
	status, text := scrape(t, in.URL+"metrics", bearer)
	if status != http.StatusOK {
		t.Fatalf("GET metrics = %d", status)
	}
	_, families := seriesOf(t, text)
	for _, f := range metricFamilies {
		if families[f] == "" {
			t.Errorf("exposition lacks the family %s", f)
		}
	}
	for _, want := range []string{
		"quire_contents_saves_total 2", "quire_contents_save_conflicts_total 1", "quire_contents_written_bytes_total 5",
		`quire_logins_total{result="failure"} 1`, `quire_logins_total{result="success"} 1`, "quire_browser_sessions 1",
		`kernel_currently_running_total{type="python3"} 2`, "terminal_currently_running_total 1",
		`http_request_duration_seconds_count{method="PUT",handler="/api/contents/{path...}",status_code="412"} 1`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("exposition lacks %q", want)
		}
	}
	cmd := exec.Command("promtool", "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line = strings.TrimSpace(line); line != "" && !slices.Contains(promtoolRemarks, line) {
			t.Errorf("promtool check metrics: %q (exit %v)", line, err)
		}
	}
	if err != nil && !t.Failed() {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 { // 3: lint remarks only
			t.Errorf("promtool check metrics: %v: %s", err, out)
		}
	}

	// Prometheus scrapes {base}metrics with the bearer token, every second.
	dir := t.TempDir()
	promPort := freePort(t)
	target := strings.TrimPrefix(strings.TrimPrefix(in.URL, "http://"), "https://")
	target, basePath, _ := strings.Cut(target, "/")
	conf := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: quire
    metrics_path: /%smetrics
    authorization:
      type: Bearer
      credentials_file: %s
    static_configs:
      - targets: ["%s"]
`, basePath, filepath.Join(dir, "token"), target)
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(in.Token), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var promLog harness.Buffer
	pc := exec.Command("prometheus", "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address=127.0.0.1:"+promPort)
	pc.Stdout, pc.Stderr = &promLog, &promLog
	prom := harness.Start(t, "prometheus", pc)
	t.Cleanup(func() {
		_ = prom.Stop()
		if t.Failed() {
			t.Logf("prometheus output:\n%s", promLog.String())
		}
	})
	query := func(q string) (float64, bool) {
		resp, err := http.Get("http://127.0.0.1:" + promPort + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			return 0, false
		}
		defer resp.Body.Close()
		var r struct {
			Status string `json:"status"`
			Data   struct {
				Result []struct {
					Value [2]any `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		if json.NewDecoder(resp.Body).Decode(&r) != nil || r.Status != "success" || len(r.Data.Result) != 1 {
			return 0, false
		}
		s, _ := r.Data.Result[0].Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		return v, err == nil
	}
	checks := []struct {
		q  string
		ok func(float64) bool
	}{
		{`up{job="quire"}`, func(v float64) bool { return v == 1 }},
		{`kernel_currently_running_total{job="quire",type="python3"}`, func(v float64) bool { return v == 2 }},
		{`terminal_currently_running_total{job="quire"}`, func(v float64) bool { return v == 1 }},
		{`sum(http_request_duration_seconds_count{job="quire"})`, func(v float64) bool { return v > 0 }},
		{`quire_kernel_starts_total{job="quire"}`, func(v float64) bool { return v == 2 }},
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, c := range checks {
		for {
			v, ok := query(c.q)
			if ok && c.ok(v) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("Prometheus: %s = %v (found: %v), not as expected within 60s", c.q, v, ok)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
}

// TestMetricsCardinality opens 500 files and starts and stops 50 kernels
// (issue #21's figures; in batches of 10, each scraped while it runs, then
// shut down without waiting for the kernels to be ready) and checks
// that the set of series is the same before and after: no label carries a
// path, a kernel id or an address.
func TestMetricsCardinality(t *testing.T) {
	needIPyKernel(t)
	root := t.TempDir()
	const files, kernels, batch = 500, 50, 10
	for i := range files {
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("f%03d.txt", i)), []byte(strings.Repeat("x", i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in := startQuire(t, opts{root: root})
	bearer := "Bearer " + in.Token

	open := func(i int) {
		if st, b, _ := apiJSON(t, in, "GET", fmt.Sprintf("api/contents/f%03d.txt?content=1", i), nil); st != 200 {
			t.Fatalf("GET api/contents/f%03d.txt = %d %s", i, st, b)
		}
	}
	var before []string // the series after one of each request
	kernelRound := func(n int) {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = startKernel(t, in).ID
		}
		if before != nil { // while the batch runs: the same series
			_, text := scrape(t, in.URL+"metrics", bearer)
			if during, _ := seriesOf(t, text); !slices.Equal(before, during) {
				t.Errorf("series changed with %d kernels running: new %v, gone %v", n, diff(during, before), diff(before, during))
			}
			if want := fmt.Sprintf("kernel_currently_running_total{type=\"python3\"} %d\n", n); !strings.Contains(text, want) {
				t.Errorf("with %d kernels running, the exposition lacks %q", n, want)
			}
		}
		var wg sync.WaitGroup
		for _, id := range ids {
			wg.Go(func() {
				if st, b, _ := apiJSON(t, in, "DELETE", "api/kernels/"+id, nil); st != 204 {
					t.Errorf("DELETE api/kernels/%s = %d %s", id, st, b)
				}
			})
		}
		wg.Wait()
	}
	// One of each request first, so that every series the load makes
	// exists before the first count.
	open(0)
	kernelRound(1)
	scrape(t, in.URL+"metrics", bearer) // its own series appear after it
	_, text := scrape(t, in.URL+"metrics", bearer)
	before, _ = seriesOf(t, text)

	for i := range files {
		open(i)
	}
	for done := 1; done < kernels; done += batch {
		kernelRound(min(batch, kernels-done))
	}
	status, text := scrape(t, in.URL+"metrics", bearer)
	if status != http.StatusOK {
		t.Fatalf("GET metrics = %d", status)
	}
	after, _ := seriesOf(t, text)
	if !slices.Equal(before, after) {
		t.Errorf("series changed after %d files and %d kernels: %d before, %d after\nnew: %v\ngone: %v",
			files, kernels, len(before), len(after), diff(after, before), diff(before, after))
	}
	for _, want := range []string{fmt.Sprintf("quire_kernel_starts_total %d", kernels), "kernel_currently_running_total{type=\"python3\"} 0"} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("exposition lacks %q", want)
		}
	}
	if !bytes.Contains([]byte(text), []byte("quire_contents_read_bytes_total ")) {
		t.Errorf("no quire_contents_read_bytes_total")
	}
}

// diff lists the elements of a not in b.
func diff(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}
