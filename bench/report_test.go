package main

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestQuantile(t *testing.T) {
	for _, tc := range []struct {
		vs   []float64
		q    float64
		want float64
	}{
		{[]float64{3}, 0.5, 3},
		{[]float64{3, 1, 2}, 0.5, 2},
		{[]float64{4, 1, 3, 2}, 0.5, 2.5},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 0.9, 10},
		{[]float64{10, 20}, 0.9, 19},
	} {
		if got := quantile(tc.vs, tc.q); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("quantile(%v, %v) = %v, want %v", tc.vs, tc.q, got, tc.want)
		}
	}
	if got := median(nil); !math.IsNaN(got) {
		t.Errorf("median(nil) = %v, want NaN", got)
	}
}

func TestNum(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{1234.4, "1234"},
		{45.67, "45.7"},
		{3.14159, "3.14"},
		{0.05, "0.0500"},
		{0.012345, "0.0123"},
		{0.2, "0.200"},
	} {
		if got := num(tc.v); got != tc.want {
			t.Errorf("num(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestGoalText(t *testing.T) {
	for _, tc := range []struct {
		m    metric
		want string
	}{
		{metric{}, "–"},
		{metric{goal: 0.05}, "≤ 0.0500 (1/20)"},
		{metric{goal: 0.2}, "≤ 0.200 (1/5)"},
		{metric{goal: 0.3}, "≤ 0.300"},
		{metric{goal: 2, higher: true}, "≥ 2.00"},
		{metric{goal: 100, higher: true, own: true, unit: percent}, "Quire ≥ 100 %"},
		{metric{goal: 1.15, own: true, unit: factor}, "Quire ≤ 1.15×"},
	} {
		if got := goalText(tc.m, "Quire"); got != tc.want {
			t.Errorf("goalText(%+v) = %q, want %q", tc.m, got, tc.want)
		}
	}
}

func TestRow(t *testing.T) {
	start := metric{name: "start", unit: millis, p90: true, goal: 0.05}
	rss := metric{name: "idle RSS", unit: mebis, goal: 0.2}
	put := metric{name: "PUT", unit: millis}
	rate := metric{name: "MB/s", unit: mbps, goal: 2, higher: true}
	p99 := metric{name: "p99", unit: millis, q: 0.99, goal: 0.5}
	share := metric{name: "delivered", unit: percent, goal: 100, higher: true, own: true}
	for _, tc := range []struct {
		name   string
		m      metric
		q, j   []float64
		failQ  bool
		want   string
		wantMD string
	}{
		{
			name: "goal met",
			m:    start,
			q:    []float64{10, 12, 11},
			j:    []float64{1000, 1100, 900},
			want: "start | 11.0 ms (p90 11.8) | 1000 ms (p90 1080) | 0.0110 | ≤ 0.0500 (1/20) | yes",
		},
		{
			name: "goal missed",
			m:    rss,
			q:    []float64{30},
			j:    []float64{60},
			want: "idle RSS | 30.0 MiB | 60.0 MiB | 0.500 | ≤ 0.200 (1/5) | no",
		},
		{
			name: "exactly the goal counts as met",
			m:    rss,
			q:    []float64{10},
			j:    []float64{50},
			want: "idle RSS | 10.0 MiB | 50.0 MiB | 0.200 | ≤ 0.200 (1/5) | yes",
		},
		{
			name: "no goal",
			m:    put,
			q:    []float64{5},
			j:    []float64{10},
			want: "PUT | 5.00 ms | 10.0 ms | 0.500 | – | –",
		},
		{
			name: "higher is better",
			m:    rate,
			q:    []float64{300},
			j:    []float64{100},
			want: "MB/s | 300 MB/s | 100 MB/s | 3.00 | ≥ 2.00 | yes",
		},
		{
			name: "quantile cell",
			m:    p99,
			q:    append(slices.Repeat([]float64{1}, 99), 101), // p99 = 2
			j:    []float64{5},
			want: "p99 | 2.00 ms | 5.00 ms | 0.400 | ≤ 0.500 (1/2) | yes",
		},
		{
			name: "goal on the first server's own value",
			m:    share,
			q:    []float64{100},
			j:    []float64{7},
			want: "delivered | 100 % | 7.00 % | 14.3 | Quire ≥ 100 % | yes",
		},
		{
			name: "spread: lowest and highest",
			m:    metric{name: "idle RSS", unit: mebis, spread: true},
			q:    []float64{13.2, 13.0, 13.5},
			j:    []float64{12.8, 12.9},
			want: "idle RSS | 13.2 MiB (13.0–13.5) | 12.9 MiB (12.8–12.9) | 1.03 | – | –",
		},
		{
			name: "spread of one observation is not shown",
			m:    metric{name: "idle RSS", unit: mebis, spread: true},
			q:    []float64{13.2},
			j:    []float64{13.2},
			want: "idle RSS | 13.2 MiB | 13.2 MiB | 1.00 | – | –",
		},
		{
			name:  "failure shows no number and no ratio",
			m:     start,
			q:     []float64{10},
			j:     []float64{1000},
			failQ: true,
			want:  "start | failed | 1000 ms | – | ≤ 0.0500 (1/20) | –",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := newTable("Quire", "jupyter_server")
			tb.addMetrics(tc.m)
			tb.record("Quire", []metric{tc.m}, samples{tc.m.name: tc.q}, !tc.failQ)
			tb.record("jupyter_server", []metric{tc.m}, samples{tc.m.name: tc.j}, true)
			if got := strings.Join(tb.row(tc.m), " | "); got != tc.want {
				t.Errorf("row = %q\nwant  %q", got, tc.want)
			}
			md := tb.markdown()
			lines := strings.Split(strings.TrimSpace(md), "\n")
			if len(lines) != 3 {
				t.Fatalf("markdown has %d lines, want 3:\n%s", len(lines), md)
			}
			if want := "| scenario | Quire | jupyter_server | ratio (Quire ÷ jupyter_server) | goal | met? |"; lines[0] != want {
				t.Errorf("header = %q, want %q", lines[0], want)
			}
			if want := "| " + tc.want + " |"; lines[2] != want {
				t.Errorf("row line = %q, want %q", lines[2], want)
			}
		})
	}
}

func TestNotesAfterMarker(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"no marker", "# Results\n| a |\n", ""},
		{"kept verbatim", "head\n## Notes\n<!-- notes -->\nprofile:\n  * x\n\n", "profile:\n  * x\n\n"},
		{"marker at end without newline", "head\n<!-- notes -->", ""},
		{"marker inside a line is not a marker", "see <!-- notes --> here\nrest\n", ""},
		{"first marker wins", "<!-- notes -->\na\n<!-- notes -->\nb\n", "a\n<!-- notes -->\nb\n"},
	} {
		if got := notesAfterMarker(tc.in); got != tc.want {
			t.Errorf("%s: notesAfterMarker = %q, want %q", tc.name, got, tc.want)
		}
	}
	doc := document("# R\n", "| t |\n", "mine\n")
	if got := notesAfterMarker(doc); got != "mine\n" {
		t.Errorf("document round trip kept %q, want %q", got, "mine\n")
	}
}

// TestRecordNotRun: a row only the first server has, and a row a run
// skipped, read "not run"; a row with no observations otherwise "failed".
func TestRecordNotRun(t *testing.T) {
	tb := newTable("Quire", "jupyter_server")
	solo := metric{name: "via nginx", unit: millis, firstOnly: true}
	skipped := metric{name: "via caddy", unit: millis, firstOnly: true}
	lost := metric{name: "direct", unit: millis}
	ms := []metric{solo, skipped, lost}
	tb.addMetrics(ms...)
	q := samples{solo.name: {2}}
	q.skip(skipped.name)
	tb.record("Quire", ms, q, true)
	tb.record("jupyter_server", ms, samples{}, true)
	for _, tc := range []struct {
		m    metric
		want []string
	}{
		{solo, []string{"2.00 ms", "not run"}},
		{skipped, []string{"not run", "not run"}},
		{lost, []string{"failed", "failed"}},
	} {
		if got := tb.row(tc.m)[1:3]; !slices.Equal(got, tc.want) {
			t.Errorf("%s: cells %q, want %q", tc.m.name, got, tc.want)
		}
	}
	// A failed run's rows are failed, skipped or not.
	tb2 := newTable("Quire", "jupyter_server")
	tb2.addMetrics(ms...)
	tb2.record("Quire", ms, q, false)
	if got := tb2.row(skipped)[1]; got != "failed" {
		t.Errorf("skipped row of a failed run: %q, want failed", got)
	}
}
