// Package doctor checks a Quire setup and says what is wrong and how to fix
// it: Local looks at this machine's settings and files (bind address
// against authentication and TLS, certificates, file modes, config keys,
// kernelspecs, trash, disk space, a server already running), Remote at a
// running deployment from the outside, as a browser would (DNS, TLS,
// redirects, HSTS, authentication, the WebSocket through the proxy, the
// server's idea of its own URL, clock skew).
//
// Every finding has a stable id, a level, a one-line title and, unless it
// is fine, the detail and the exact fix. The command's exit status follows
// the worst level: 0 all fine, 1 warnings, 2 errors.
package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Level is how bad a finding is.
type Level int

// Levels, from fine to broken. Skip is a check that could not run (it says
// how to enable it); it does not change the exit status.
const (
	OK Level = iota
	Skip
	Warn
	Error
)

var levelNames = [...]string{OK: "ok", Skip: "skip", Warn: "warn", Error: "error"}

func (l Level) String() string {
	if l >= 0 && int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("level(%d)", int(l))
}

// MarshalText writes the level's name ("ok", "skip", "warn", "error").
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads a level's name.
func (l *Level) UnmarshalText(b []byte) error {
	for i, n := range levelNames {
		if string(b) == n {
			*l = Level(i)
			return nil
		}
	}
	return fmt.Errorf("unknown level %q", b)
}

// Finding is the result of one check. ID is stable across releases
// ("tls.expiry", "config.unknown-key"); a check that looks at several
// things (each kernelspec, each config key) appends ":" and the thing's
// name. Detail and Fix are empty when the check passed.
type Finding struct {
	ID     string `json:"id"`
	Level  Level  `json:"level"`
	Title  string `json:"title"`
	Detail string `json:"detail,omitempty"`
	Fix    string `json:"fix,omitempty"`
}

// Report is the findings of one run, in the order the checks ran.
type Report struct {
	// Target is what was checked: "this machine" or the URL.
	Target   string
	Findings []Finding
}

func (r *Report) add(f ...Finding) { r.Findings = append(r.Findings, f...) }

// Worst is the highest level among the findings (OK when there are none).
func (r *Report) Worst() Level {
	w := OK
	for _, f := range r.Findings {
		if f.Level > w && f.Level != Skip {
			w = f.Level
		}
	}
	return w
}

// ExitCode is 0 when every check passed or was skipped, 1 with warnings,
// 2 with errors.
func (r *Report) ExitCode() int {
	switch r.Worst() {
	case Error:
		return 2
	case Warn:
		return 1
	}
	return 0
}

// SchemaVersion is the version of WriteJSON's output; it changes only
// when a field changes meaning or goes away.
const SchemaVersion = 1

// WriteJSON writes the report as one JSON object:
//
//	{"schema": 1, "target": "...", "status": "ok|warn|error",
//	 "findings": [{"id", "level", "title", "detail", "fix"}, ...]}
func (r *Report) WriteJSON(w io.Writer) error {
	findings := r.Findings
	if findings == nil {
		findings = []Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Schema   int       `json:"schema"`
		Target   string    `json:"target"`
		Status   Level     `json:"status"`
		Findings []Finding `json:"findings"`
	}{SchemaVersion, r.Target, r.Worst(), findings})
}

// WriteText writes one line per check, then the detail and fix of each
// that did not pass, then a summary line.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Checking %s\n", r.Target)
	for _, f := range r.Findings {
		fmt.Fprintf(w, "  %-5s  %s\n", f.Level, f.Title)
	}
	var n [4]int
	first := true
	for _, f := range r.Findings {
		n[f.Level]++
		if f.Level == OK || (f.Detail == "" && f.Fix == "") {
			continue
		}
		if first {
			fmt.Fprintln(w)
			first = false
		}
		fmt.Fprintf(w, "%s %s: %s\n", strings.ToUpper(f.Level.String()), f.ID, f.Title)
		if f.Detail != "" {
			fmt.Fprintln(w, indent(f.Detail, "    "))
		}
		if f.Fix != "" {
			fmt.Fprintln(w, "  Fix:")
			fmt.Fprintln(w, indent(f.Fix, "    "))
		}
		fmt.Fprintln(w)
	}
	if first {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%d ok, %d warnings, %d errors, %d skipped.\n", n[OK], n[Warn], n[Error], n[Skip])
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}
