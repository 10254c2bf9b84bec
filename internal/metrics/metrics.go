// Package metrics keeps Quire's Prometheus metrics and writes them in the
// text exposition format ({base}metrics, --metrics-addr).
//
// It keeps its values itself: counters are atomic integers, histograms
// fixed buckets under a lock, and everything else (label strings, sorted
// series, the process's own figures from /proc and runtime/metrics) is
// made when a scrape asks. Nothing runs at package initialisation and a
// registry costs a few small allocations until then: issue #21's rule is
// that metrics must not move start time or idle RSS beyond their
// run-to-run spread, and a metrics library's own init (VictoriaMetrics/
// metrics read cgroup and pressure files, compiled a regexp and allocated
// ~29 KB at every start, metrics on or off) and code size did
// (bench/RESULTS.md). The exposition is what that library wrote, plus a
// HELP and TYPE line for every family (promtool requires help text).
//
// Every label set is bounded: labels carry route patterns, methods, status
// codes, channel names, kernelspec names and fixed outcome words, never a
// path, an id or an address. A Registry is the server's own (no global
// state): two servers in one process keep separate figures.
package metrics

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Family types, as the exposition's TYPE line names them.
const (
	Counter   = "counter"
	Gauge     = "gauge"
	Histogram = "histogram"
)

// Sample is one series of a family computed at scrape time: its label
// pairs (name, value, name, value, …) and its value.
type Sample struct {
	Labels []string
	Value  float64
}

// family is one metric family: write appends its sample lines at scrape
// time (its values, or what collect computes).
type family struct {
	name, help, typ string
	write           func(b *bytes.Buffer)
}

// Registry holds a server's metric families.
type Registry struct {
	mu   sync.Mutex
	fams map[string]*family
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{fams: map[string]*family{}}
}

// add registers a family; a name registered twice is a programming error.
func (r *Registry) add(name, help, typ string, write func(b *bytes.Buffer)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.fams[name]; dup {
		panic("metrics: family " + name + " registered twice")
	}
	r.fams[name] = &family{name: name, help: help, typ: typ, write: write}
}

// Count is a counter family's value: it only goes up. The zero value is
// ready.
type Count struct{ n atomic.Uint64 }

// Inc adds one.
func (c *Count) Inc() { c.n.Add(1) }

// Add adds n (n ≥ 0).
func (c *Count) Add(n int) { c.n.Add(uint64(n)) }

// AddInt64 adds n (n ≥ 0).
func (c *Count) AddInt64(n int64) { c.n.Add(uint64(n)) }

// Get returns the count.
func (c *Count) Get() uint64 { return c.n.Load() }

// writeSample appends one sample line: series (name and labels), value.
func writeSample(b *bytes.Buffer, series, value string) {
	b.WriteString(series)
	b.WriteByte(' ')
	b.WriteString(value)
	b.WriteByte('\n')
}

// NewCounter registers a counter family without labels.
func (r *Registry) NewCounter(name, help string) *Count {
	c := &Count{}
	r.add(name, help, Counter, func(b *bytes.Buffer) {
		writeSample(b, name, strconv.FormatUint(c.Get(), 10))
	})
	return c
}

// NewGauge registers a gauge family without labels whose value is f's at
// scrape time.
func (r *Registry) NewGauge(name, help string, f func() float64) {
	r.add(name, help, Gauge, func(b *bytes.Buffer) {
		writeSample(b, name, formatWhole(f()))
	})
}

// NewCollected registers a family whose series collect returns at scrape
// time. collect must return a bounded set of label values.
func (r *Registry) NewCollected(name, help, typ string, collect func() []Sample) {
	r.add(name, help, typ, func(b *bytes.Buffer) {
		for _, s := range collect() {
			series := name
			if len(s.Labels) > 0 {
				names, values := make([]string, 0, len(s.Labels)/2), make([]string, 0, len(s.Labels)/2)
				for i := 0; i+1 < len(s.Labels); i += 2 {
					names, values = append(names, s.Labels[i]), append(values, s.Labels[i+1])
				}
				series += labelString(names, values)
			}
			writeSample(b, series, formatValue(s.Value))
		}
	})
}

// CounterVec is a counter family with labels whose values are fixed when
// it is registered: every series exists (at 0) from the start. A value
// outside its label's list counts under "other" when the list has it, and
// is not counted otherwise. Its counters are one array, indexed by the
// label values' positions; their series names are made at scrape time.
type CounterVec struct {
	labels  []string
	values  [][]string
	index   []map[string]int // per label: value → its position
	counts  []Count          // every combination, the last label varying fastest
	discard Count            // counts what no series takes; never written
}

// NewCounterVec registers a counter family with the given labels; values
// lists the allowed values of each label, in order.
func (r *Registry) NewCounterVec(name, help string, labels []string, values ...[]string) *CounterVec {
	if len(values) != len(labels) {
		panic("metrics: " + name + ": one value list per label")
	}
	v := &CounterVec{labels: labels, values: values}
	n := 1
	for _, l := range values {
		idx := make(map[string]int, len(l))
		for i, s := range l {
			idx[s] = i
		}
		v.index = append(v.index, idx)
		n *= len(l)
	}
	v.counts = make([]Count, n)
	r.add(name, help, Counter, v.write(name))
	return v
}

// With returns the counter for these label values, each one outside its
// list replaced by "other" (a counter in no series if that is not listed).
func (v *CounterVec) With(values ...string) *Count {
	at := 0
	for i, idx := range v.index {
		p, ok := -1, false
		if i < len(values) {
			p, ok = idx[values[i]]
		}
		if !ok {
			if p, ok = idx["other"]; !ok {
				return &v.discard
			}
		}
		at = at*len(v.values[i]) + p
	}
	return &v.counts[at]
}

// write returns the family's writer: every series, sorted by its name.
func (v *CounterVec) write(name string) func(b *bytes.Buffer) {
	return func(b *bytes.Buffer) {
		type line struct{ series, value string }
		lines := make([]line, 0, len(v.counts))
		combo := make([]string, len(v.labels))
		for at := range v.counts {
			rest := at
			for i := len(v.values) - 1; i >= 0; i-- {
				combo[i] = v.values[i][rest%len(v.values[i])]
				rest /= len(v.values[i])
			}
			lines = append(lines, line{name + labelString(v.labels, combo), strconv.FormatUint(v.counts[at].Get(), 10)})
		}
		slices.SortFunc(lines, func(a, b line) int { return strings.Compare(a.series, b.series) })
		for _, l := range lines {
			writeSample(b, l.series, l.value)
		}
	}
}

// HistogramVec is a histogram family whose series are created on first
// use; callers keep the label values bounded.
type HistogramVec struct {
	labels  []string
	buckets []float64

	mu     sync.RWMutex
	series map[string]*histogram // by label string, {a="x",…}
}

// histogram is one series: observations ≤ each bound (not cumulative),
// their count and sum.
type histogram struct {
	mu     sync.Mutex
	counts []uint64
	count  uint64
	sum    float64
}

// NewHistogramVec registers a histogram family with these labels and
// bucket upper bounds (ascending).
func (r *Registry) NewHistogramVec(name, help string, labels []string, buckets []float64) *HistogramVec {
	h := &HistogramVec{labels: labels, buckets: buckets, series: map[string]*histogram{}}
	r.add(name, help, Histogram, h.write(name))
	return h
}

// Observe records v in the series with these label values. NaN and
// negative values are not recorded.
func (h *HistogramVec) Observe(v float64, values ...string) {
	if math.IsNaN(v) || v < 0 {
		return
	}
	key := labelString(h.labels, values)
	h.mu.RLock()
	s := h.series[key]
	h.mu.RUnlock()
	if s == nil {
		h.mu.Lock()
		if s = h.series[key]; s == nil {
			s = &histogram{counts: make([]uint64, len(h.buckets))}
			h.series[key] = s
		}
		h.mu.Unlock()
	}
	i, _ := slices.BinarySearch(h.buckets, v) // the first bound ≥ v
	s.mu.Lock()
	s.sum += v
	s.count++
	if i < len(s.counts) {
		s.counts[i]++
	}
	s.mu.Unlock()
}

// write returns the family's writer: each series sorted by its labels,
// cumulative buckets with an "le" label, then +Inf, sum and count.
func (h *HistogramVec) write(name string) func(b *bytes.Buffer) {
	return func(b *bytes.Buffer) {
		h.mu.RLock()
		keys := make([]string, 0, len(h.series))
		for k := range h.series {
			keys = append(keys, k)
		}
		h.mu.RUnlock()
		slices.Sort(keys)
		for _, k := range keys {
			h.mu.RLock()
			s := h.series[k]
			h.mu.RUnlock()
			s.mu.Lock()
			counts, count, sum := slices.Clone(s.counts), s.count, s.sum
			s.mu.Unlock()
			var cum uint64
			for i, ub := range h.buckets {
				cum += counts[i]
				writeSample(b, name+"_bucket"+withLabel(k, "le", strconv.FormatFloat(ub, 'g', -1, 64)), strconv.FormatUint(cum, 10))
			}
			writeSample(b, name+"_bucket"+withLabel(k, "le", "+Inf"), strconv.FormatUint(count, 10))
			writeSample(b, name+"_sum"+k, formatWhole(sum))
			writeSample(b, name+"_count"+k, strconv.FormatUint(count, 10))
		}
	}
}

// withLabel adds name="value" (value needing no escape) to a label
// string, which may be empty.
func withLabel(labels, name, value string) string {
	if labels == "" {
		return "{" + name + `="` + value + `"}`
	}
	return labels[:len(labels)-1] + "," + name + `="` + value + `"}`
}

// labelString formats {a="x",b="y"}, escaping values as the format asks.
func labelString(names, values []string) string {
	if len(names) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
		b.WriteString(`="`)
		b.WriteString(escapeValue(values[i]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// escapeValue escapes a label value as the format asks: backslash, double
// quote and line feed.
func escapeValue(s string) string { return escape(s, `\"`+"\n") }

// escapeHelp escapes help text: backslash and line feed.
func escapeHelp(s string) string { return escape(s, `\`+"\n") }

// escape puts a backslash before each of s's bytes in special, a line
// feed written as \n. (A function, not a strings.Replacer: nothing is
// built at package initialisation.)
func escape(s, special string) string {
	if !strings.ContainsAny(s, special) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n' && strings.IndexByte(special, c) >= 0:
			b.WriteString(`\n`)
		case strings.IndexByte(special, c) >= 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// WriteTo writes every family in the text exposition format (version
// 0.0.4), sorted by name, each after its HELP and TYPE lines.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	r.mu.Lock()
	fams := make([]*family, 0, len(r.fams))
	for _, f := range r.fams {
		fams = append(fams, f)
	}
	r.mu.Unlock()
	slices.SortFunc(fams, func(a, b *family) int { return strings.Compare(a.name, b.name) })
	var buf bytes.Buffer
	for _, f := range fams {
		fmt.Fprintf(&buf, "# HELP %s %s\n# TYPE %s %s\n", f.name, escapeHelp(f.help), f.name, f.typ)
		f.write(&buf)
	}
	return buf.WriteTo(w)
}

func formatValue(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// formatWhole writes a whole number without an exponent (1234567, not
// 1.234567e+06), anything else as formatValue: how gauges and sums have
// always been written.
func formatWhole(v float64) string {
	if float64(int64(v)) == v {
		return strconv.FormatInt(int64(v), 10)
	}
	return formatValue(v)
}

// ContentType is the text exposition format's media type.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Handler serves the exposition. Only GET and HEAD reach it (the route
// table says so); it sets no caching.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", ContentType)
		w.Header().Set("Cache-Control", "no-store")
		var buf bytes.Buffer
		_, _ = r.WriteTo(&buf)
		w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
		if req.Method == http.MethodHead {
			return
		}
		_, _ = buf.WriteTo(w)
	})
}
