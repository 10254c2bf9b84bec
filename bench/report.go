package main

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// notesMarker separates the generated part of the results file from the
// free-text notes below it, which every run keeps verbatim.
const notesMarker = "<!-- notes -->"

// unit says how a metric's observations are shown.
type unit int

const (
	millis  unit = iota // durations, stored in milliseconds
	mebis               // memory, stored in MiB
	mbps                // throughput, stored in MB/s (10^6 bytes)
	percent             // a share, stored in percent
	perSec              // a rate, stored per second
	factor              // a dimensionless multiple, such as Quire ÷ a floor
	count               // a number of events (requests, attempts)
	seconds             // longer durations and CPU time, stored in seconds
	kbytes              // sizes on the wire, stored in KB (10^3 bytes)
)

// suffix is what follows a number of unit u in a cell.
func (u unit) suffix() string {
	return map[unit]string{millis: " ms", mebis: " MiB", mbps: " MB/s", percent: " %", perSec: "/s", factor: "×", seconds: " s", kbytes: " KB"}[u]
}

// metric is one row of the results table.
type metric struct {
	name string
	unit unit
	p90  bool    // also show the 90th percentile
	q    float64 // the quantile the cell shows and the ratio compares; 0 means the median
	goal float64 // the row is met when ratio ≤ goal; 0 means no goal
	// higher flips the goal: met when ratio ≥ goal (throughput, rates).
	higher bool
	// own compares the goal with the first server's own value, not the
	// ratio (a share delivered, a factor over a floor).
	own bool
	// firstOnly: only the first server (Quire) has this row; the others'
	// cells read "not run" (the proxies' rows).
	firstOnly bool
	// spread also shows the lowest and highest observation (run-to-run
	// spread, which issue #21's rule compares a change with).
	spread bool
}

// center is the statistic a cell shows for vs: the median, or m.q.
func (m metric) center(vs []float64) float64 {
	if m.q > 0 {
		return quantile(vs, m.q)
	}
	return median(vs)
}

// met reports whether v reaches the goal.
func (m metric) met(v float64) bool {
	if m.higher {
		return v >= m.goal
	}
	return v <= m.goal
}

// samples holds one server's observations per metric name.
type samples map[string][]float64

func (s samples) add(name string, v float64) { s[name] = append(s[name], v) }

// skip marks a row as not run (a tool it needs is missing): present with
// no observations, so record leaves the cell "not run" rather than failed.
func (s samples) skip(name string) {
	if _, ok := s[name]; !ok {
		s[name] = nil
	}
}

// table is the comparison: one row per metric, one column per server,
// then the ratio of the first column to the second.
type table struct {
	servers []string           // column order; the ratio is servers[0] ÷ servers[1]
	metrics []metric           // row order
	values  map[string]samples // server name → observations
	failed  map[string]map[string]bool
}

func newTable(servers ...string) *table {
	return &table{
		servers: servers,
		values:  make(map[string]samples),
		failed:  make(map[string]map[string]bool),
	}
}

// addMetrics appends rows, skipping names already present.
func (t *table) addMetrics(ms ...metric) {
	for _, m := range ms {
		if !slices.ContainsFunc(t.metrics, func(o metric) bool { return o.name == m.name }) {
			t.metrics = append(t.metrics, m)
		}
	}
}

// record stores a server's observations for the given rows; rows without
// observations are marked failed, so no number is ever shown for them,
// except rows only the first server has (firstOnly) and rows its run
// skipped (samples.skip), which read "not run".
func (t *table) record(server string, ms []metric, s samples, ok bool) {
	if t.values[server] == nil {
		t.values[server] = make(samples)
		t.failed[server] = make(map[string]bool)
	}
	for _, m := range ms {
		v, present := s[m.name]
		switch {
		case ok && len(v) > 0:
			t.values[server][m.name] = v
		case m.firstOnly && len(t.servers) > 0 && server != t.servers[0]:
			// not run: only the first server has the row
		case ok && present && v == nil:
			// skipped: not run
		default:
			t.failed[server][m.name] = true
		}
	}
}

// median returns the median of vs (mean of the middle two for even counts).
func median(vs []float64) float64 { return quantile(vs, 0.5) }

// quantile returns the q-quantile of vs by linear interpolation between
// closest ranks; NaN for no values.
func quantile(vs []float64, q float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}

// num formats v with three significant digits, never in exponent form.
func num(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	digits := 2 - int(math.Floor(math.Log10(math.Abs(v))))
	return strconv.FormatFloat(v, 'f', digits, 64)
}

// cell formats one server's observations for a metric.
func cell(m metric, vs []float64) string {
	c := m.center(vs)
	s := num(c) + m.unit.suffix()
	if m.unit == count && c == math.Trunc(c) {
		s = strconv.FormatFloat(c, 'f', 0, 64) // events are whole
	}
	if m.p90 && len(vs) > 2 {
		s += " (p90 " + num(quantile(vs, 0.9)) + ")"
	}
	if m.spread && len(vs) > 1 {
		s += " (" + num(slices.Min(vs)) + "–" + num(slices.Max(vs)) + ")"
	}
	return s
}

// goalText shows a goal as both a ratio and a fraction: "≤ 0.05 (1/20)";
// a goal on the first server's own value names it: "Quire ≥ 100 %".
func goalText(m metric, first string) string {
	if m.goal <= 0 {
		return "–"
	}
	op := "≤ "
	if m.higher {
		op = "≥ "
	}
	if m.own {
		return first + " " + op + num(m.goal) + m.unit.suffix()
	}
	s := op + num(m.goal)
	if inv := 1 / m.goal; m.goal < 1 && math.Abs(inv-math.Round(inv)) < 1e-9 {
		s += fmt.Sprintf(" (1/%d)", int(math.Round(inv)))
	}
	return s
}

// row returns the cells of one metric's row.
func (t *table) row(m metric) []string {
	cells := []string{m.name}
	meds := make([]float64, len(t.servers))
	ok := true
	for i, srv := range t.servers {
		vs := t.values[srv][m.name]
		switch {
		case t.failed[srv][m.name]:
			cells = append(cells, "failed")
			ok = false
		case len(vs) == 0:
			cells = append(cells, "not run")
			ok = false
		default:
			cells = append(cells, cell(m, vs))
			meds[i] = m.center(vs)
		}
	}
	ratio, met := "–", "–"
	if ok && len(meds) >= 2 && meds[1] > 0 {
		r := meds[0] / meds[1]
		ratio = num(r)
		if m.goal > 0 && !m.own {
			met = yesNo(m.met(r))
		}
	}
	if m.own && m.goal > 0 && len(meds) > 0 && !t.failed[t.servers[0]][m.name] && len(t.values[t.servers[0]][m.name]) > 0 {
		met = yesNo(m.met(meds[0]))
	}
	return append(cells, ratio, goalText(m, t.servers[0]), met)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// markdown renders the table.
func (t *table) markdown() string {
	var b strings.Builder
	head := append([]string{"scenario"}, t.servers...)
	ratio := "ratio"
	if len(t.servers) >= 2 {
		ratio = fmt.Sprintf("ratio (%s ÷ %s)", t.servers[0], t.servers[1])
	}
	head = append(head, ratio, "goal", "met?")
	writeRow(&b, head)
	sep := make([]string, len(head))
	for i := range sep {
		sep[i] = "---"
	}
	writeRow(&b, sep)
	for _, m := range t.metrics {
		writeRow(&b, t.row(m))
	}
	return b.String()
}

func writeRow(b *strings.Builder, cells []string) {
	b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
}

// keptNotes returns everything after the notes marker line in the file at
// path, verbatim; "" when the file or the marker does not exist.
func keptNotes(path string) (string, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return notesAfterMarker(string(data)), nil
}

func notesAfterMarker(s string) string {
	for i := 0; i < len(s); {
		end := strings.IndexByte(s[i:], '\n')
		line, next := s[i:], len(s)
		if end >= 0 {
			line, next = s[i:i+end], i+end+1
		}
		if strings.TrimSpace(line) == notesMarker {
			return s[next:]
		}
		i = next
	}
	return ""
}

// document assembles the results file: header, table, then the notes
// section whose tail (after the marker) is kept from the previous file.
func document(header, tableMD, notes string) string {
	var b strings.Builder
	b.WriteString(header)
	b.WriteString("\n")
	b.WriteString(tableMD)
	b.WriteString("\n## Notes\n\n")
	b.WriteString("<!-- Everything below the next line is kept verbatim by `go run ./bench`. -->\n")
	b.WriteString(notesMarker + "\n")
	b.WriteString(notes)
	return b.String()
}
