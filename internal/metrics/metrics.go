// Package metrics keeps Quire's Prometheus metrics and writes them in the
// text exposition format ({base}metrics, --metrics-addr).
//
// Values live in github.com/VictoriaMetrics/metrics sets (chosen over
// client_golang by measured idle RSS: bench/RESULTS.md); this package adds
// what that library leaves out: a HELP and TYPE line for every family
// (promtool requires help text), gauges computed at scrape time from the
// managers (kernels, terminals, sessions) and the process's own figures
// read from /proc and runtime/metrics.
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
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	vm "github.com/VictoriaMetrics/metrics"
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

// family is one metric family: its values in a set of its own (so its
// lines follow its HELP and TYPE), or computed by collect at scrape time.
type family struct {
	name, help, typ string
	set             *vm.Set
	collect         func() []Sample
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
func (r *Registry) add(f *family) *family {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.fams[f.name]; dup {
		panic("metrics: family " + f.name + " registered twice")
	}
	r.fams[f.name] = f
	return f
}

func (r *Registry) newSet(name, help, typ string) *vm.Set {
	return r.add(&family{name: name, help: help, typ: typ, set: vm.NewSet()}).set
}

// NewCounter registers a counter family without labels.
func (r *Registry) NewCounter(name, help string) *vm.Counter {
	return r.newSet(name, help, Counter).NewCounter(name)
}

// NewGauge registers a gauge family without labels whose value is f's at
// scrape time (f nil: a gauge set with Set, Inc, Dec).
func (r *Registry) NewGauge(name, help string, f func() float64) *vm.Gauge {
	return r.newSet(name, help, Gauge).NewGauge(name, f)
}

// NewCollected registers a family whose series collect returns at scrape
// time. collect must return a bounded set of label values.
func (r *Registry) NewCollected(name, help, typ string, collect func() []Sample) {
	r.add(&family{name: name, help: help, typ: typ, collect: collect})
}

// CounterVec is a counter family with labels whose values are fixed when
// it is registered: every series exists (at 0) from the start. A value
// outside its label's list counts under "other" when the list has it, and
// is not counted otherwise.
type CounterVec struct {
	allowed []map[string]bool
	series  map[string]*vm.Counter // label values joined by NUL → counter
	discard *vm.Counter            // in no registered set
}

// NewCounterVec registers a counter family with the given labels; values
// lists the allowed values of each label, in order.
func (r *Registry) NewCounterVec(name, help string, labels []string, values ...[]string) *CounterVec {
	if len(values) != len(labels) {
		panic("metrics: " + name + ": one value list per label")
	}
	set := r.newSet(name, help, Counter)
	v := &CounterVec{series: map[string]*vm.Counter{}, discard: vm.NewSet().NewCounter("discarded")}
	lists := make([][]string, len(values))
	for i, l := range values {
		lists[i] = l
		allowed := map[string]bool{}
		for _, s := range l {
			allowed[s] = true
		}
		v.allowed = append(v.allowed, allowed)
	}
	for _, combo := range product(lists) {
		v.series[strings.Join(combo, "\x00")] = set.NewCounter(name + labelString(labels, combo))
	}
	return v
}

// With returns the counter for these label values, each one outside its
// list replaced by "other" (a counter in no set if that is not listed).
func (v *CounterVec) With(values ...string) *vm.Counter {
	// The key is built in place: With runs for every WebSocket message.
	var buf [128]byte
	key := buf[:0]
	for i, allowed := range v.allowed {
		if i > 0 {
			key = append(key, 0)
		}
		if i < len(values) && allowed[values[i]] {
			key = append(key, values[i]...)
		} else {
			key = append(key, "other"...)
		}
	}
	if c, ok := v.series[string(key)]; ok {
		return c
	}
	return v.discard
}

// product lists every combination of one value from each list.
func product(lists [][]string) [][]string {
	out := [][]string{nil}
	for _, l := range lists {
		var next [][]string
		for _, prefix := range out {
			for _, v := range l {
				next = append(next, append(slices.Clone(prefix), v))
			}
		}
		out = next
	}
	return out
}

// HistogramVec is a histogram family whose series are created on first
// use; callers keep the label values bounded.
type HistogramVec struct {
	name    string
	labels  []string
	buckets []float64
	set     *vm.Set
}

// NewHistogramVec registers a histogram family with these labels and
// bucket upper bounds.
func (r *Registry) NewHistogramVec(name, help string, labels []string, buckets []float64) *HistogramVec {
	return &HistogramVec{name: name, labels: labels, buckets: buckets, set: r.newSet(name, help, Histogram)}
}

// Observe records v in the series with these label values.
func (h *HistogramVec) Observe(v float64, values ...string) {
	h.set.GetOrCreatePrometheusHistogramExt(h.name+labelString(h.labels, values), h.buckets).Update(v)
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

var valueEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)

func escapeValue(s string) string { return valueEscaper.Replace(s) }

var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)

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
		fmt.Fprintf(&buf, "# HELP %s %s\n# TYPE %s %s\n", f.name, helpEscaper.Replace(f.help), f.name, f.typ)
		if f.set != nil {
			f.set.WritePrometheus(&buf)
			continue
		}
		for _, s := range f.collect() {
			buf.WriteString(f.name)
			if len(s.Labels) > 0 {
				names, values := make([]string, 0, len(s.Labels)/2), make([]string, 0, len(s.Labels)/2)
				for i := 0; i+1 < len(s.Labels); i += 2 {
					names, values = append(names, s.Labels[i]), append(values, s.Labels[i+1])
				}
				buf.WriteString(labelString(names, values))
			}
			buf.WriteByte(' ')
			buf.WriteString(formatValue(s.Value))
			buf.WriteByte('\n')
		}
	}
	return buf.WriteTo(w)
}

func formatValue(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
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
