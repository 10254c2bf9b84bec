package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func fixedNow() time.Time {
	return time.Date(2026, 12, 7, 3, 45, 12, 123456789, time.FixedZone("X", 3600))
}

func openTest(t *testing.T, path string) *Log {
	t.Helper()
	l, err := Open(Options{Path: path, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func reqCtx(user string) context.Context {
	ctx := WithRequest(context.Background(), &Request{ID: "abc123", Client: "192.0.2.7"})
	SetUser(ctx, user)
	return ctx
}

func readRecords(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestRecordFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	l := openTest(t, path)
	l.Record(reqCtx("alice"), Event{Name: "file.save", Schema: SchemaContents, Fields: F{"action": "save", "path": "a.ipynb", "user": "mallory", "prev": "x"}})
	l.Record(context.Background(), Event{Name: "kernel.died", Outcome: Error, User: "bob", Fields: F{"exit_code": 1}})
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %q", len(lines), data)
	}
	want := `{"time":"2026-12-07T02:45:12.123456Z","event":"file.save","schema":"` + SchemaContents +
		`","user":"alice","client":"192.0.2.7","request_id":"abc123","outcome":"ok","action":"save","path":"a.ipynb","prev":""}`
	if lines[0] != want {
		t.Errorf("line 1:\n got %s\nwant %s", lines[0], want)
	}
	recs := readRecords(t, path)
	if recs[1]["user"] != "bob" || recs[1]["outcome"] != "error" || recs[1]["exit_code"] != 1.0 || recs[1]["client"] != "" {
		t.Errorf("line 2: %v", recs[1])
	}
	if len(recs[1]["prev"].(string)) != 64 {
		t.Errorf("prev %v", recs[1]["prev"])
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
	if _, err := Verify([]string{path}); err != nil {
		t.Error(err)
	}
}

func TestOpenTightensModeAndContinuesChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	l := openTest(t, path)
	l.Record(context.Background(), Event{Name: "a"})
	l.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	l2 := openTest(t, path)
	l2.Record(context.Background(), Event{Name: "b"})
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
	if sum, err := Verify([]string{path}); err != nil || sum.Records != 2 {
		t.Errorf("%+v %v", sum, err)
	}
}

func TestReopenAfterRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	l := openTest(t, path)
	for range 3 {
		l.Record(context.Background(), Event{Name: "a"})
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	l.Record(context.Background(), Event{Name: "still-old"}) // before SIGHUP: the old file
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	l.Record(context.Background(), Event{Name: "b"})
	if n := len(readRecords(t, path+".1")); n != 4 {
		t.Errorf("old file has %d records", n)
	}
	if n := len(readRecords(t, path)); n != 1 {
		t.Errorf("new file has %d records", n)
	}
	sum, err := Verify([]string{path + ".1", path})
	if err != nil || sum.Records != 5 || len(sum.Starts) != 0 {
		t.Errorf("%+v %v", sum, err)
	}
	// In the wrong order, the old file (the log's very first) shows as a
	// new chain whose link cannot be checked.
	if sum, err := Verify([]string{path, path + ".1"}); err != nil || len(sum.Starts) != 1 || sum.Starts[0] != path+".1" {
		t.Errorf("wrong order: %+v %v", sum, err)
	}
}

// chain writes three files of four records each and returns their paths.
func chain(t *testing.T) []string {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	l := openTest(t, path)
	var files []string
	for i := range 3 {
		for range 4 {
			l.Record(reqCtx("u"), Event{Name: "e", Fields: F{"i": i}})
		}
		if i < 2 {
			rot := filepath.Join(dir, "audit.log."+string(rune('0'+2-i)))
			if err := os.Rename(path, rot); err != nil {
				t.Fatal(err)
			}
			files = append(files, rot)
			if err := l.Reopen(); err != nil {
				t.Fatal(err)
			}
		}
	}
	return append(files, path)
}

func TestVerify(t *testing.T) {
	editLine := func(n int) func(t *testing.T, files []string) {
		return func(t *testing.T, files []string) {
			rewrite(t, files[1], func(lines []string) []string {
				lines[n-1] = strings.Replace(lines[n-1], `"i":1`, `"i":7`, 1)
				return lines
			})
		}
	}
	tests := []struct {
		name   string
		damage func(t *testing.T, files []string)
		file   int // which file is named
		line   int
		reason string
	}{
		{"intact", func(*testing.T, []string) {}, -1, 0, ""},
		{"edited line", editLine(2), 1, 3, "line 2 was changed"},
		{"edited last line of a file", editLine(4), 2, 1, "does not follow"},
		{"deleted line", func(t *testing.T, files []string) {
			rewrite(t, files[1], func(lines []string) []string { return append(lines[:1], lines[2:]...) })
		}, 1, 2, "removed"},
		{"deleted last line", func(t *testing.T, files []string) {
			rewrite(t, files[0], func(lines []string) []string { return lines[:3] })
		}, 1, 1, "missing"},
		{"truncated midway", func(t *testing.T, files []string) {
			st, _ := os.Stat(files[2])
			if err := os.Truncate(files[2], st.Size()-10); err != nil {
				t.Fatal(err)
			}
		}, 2, 4, "torn"},
		{"truncated to nothing", func(t *testing.T, files []string) {
			if err := os.Truncate(files[1], 0); err != nil {
				t.Fatal(err)
			}
		}, 2, 1, "does not follow"},
		{"missing file", func(t *testing.T, files []string) {
			os.Remove(files[1])
		}, 1, 0, "missing"},
		{"garbage line", func(t *testing.T, files []string) {
			rewrite(t, files[0], func(lines []string) []string { lines[0] = "hello"; return lines })
		}, 0, 1, "not an audit record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := chain(t)
			tt.damage(t, files)
			sum, err := Verify(files)
			if tt.file < 0 {
				if err != nil || sum.Records != 12 || sum.Files != 3 {
					t.Fatalf("%+v %v", sum, err)
				}
				return
			}
			var b *Broken
			if !errors.As(err, &b) {
				t.Fatalf("err %v", err)
			}
			if b.File != files[tt.file] || b.Line != tt.line || !strings.Contains(b.Reason, tt.reason) {
				t.Errorf("got %v; want %s:%d: …%s…", b, files[tt.file], tt.line, tt.reason)
			}
		})
	}
}

func rewrite(t *testing.T, path string, f func([]string) []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := f(strings.Split(strings.TrimSuffix(string(data), "\n"), "\n"))
	out := strings.Join(lines, "\n")
	if len(lines) > 0 {
		out += "\n"
	}
	if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
}

type failWriter struct {
	fail bool
	buf  bytes.Buffer
}

func (w *failWriter) Write(p []byte) (int, error) {
	if w.fail {
		return 3, errors.New("no space left on device")
	}
	return w.buf.Write(p)
}

func TestWriteErrorsCountedAndChainResumes(t *testing.T) {
	w := &failWriter{}
	l, err := Open(Options{Path: "-", Stdout: w})
	if err != nil {
		t.Fatal(err)
	}
	l.Record(context.Background(), Event{Name: "a"})
	w.fail = true
	l.Record(context.Background(), Event{Name: "b"})
	l.Record(context.Background(), Event{Name: "c"})
	w.fail = false
	l.Record(context.Background(), Event{Name: "d"})
	if l.WriteErrors() != 2 || l.Records() != 2 {
		t.Errorf("errors %d records %d", l.WriteErrors(), l.Records())
	}
	out := w.buf.String()
	// The torn write is ended by a newline before the next record, which
	// reports what was lost and still links to "a".
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 || lines[1] != "" || !strings.Contains(lines[2], `"lost":2`) {
		t.Errorf("output %q", out)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "a")
	os.WriteFile(p, []byte(lines[0]+"\n"+lines[2]+"\n"), 0o600)
	if _, err := Verify([]string{p}); err != nil {
		t.Errorf("chain across the lost records: %v", err)
	}
}

func TestNilLog(t *testing.T) {
	var l *Log
	l.Record(context.Background(), Event{Name: "x"})
	l.Refused(context.Background(), "xsrf", nil)
	if l.WriteErrors() != 0 || l.Execute() != ExecuteOff || l.Reopen() != nil || l.Close() != nil {
		t.Error("nil log")
	}
}

func TestRefusedRateLimit(t *testing.T) {
	now := fixedNow()
	var buf bytes.Buffer
	l, _ := Open(Options{Path: "-", Stdout: &buf, RefusalsPerMinute: 3, Now: func() time.Time { return now }})
	a := WithRequest(context.Background(), &Request{Client: "192.0.2.1"})
	b := WithRequest(context.Background(), &Request{Client: "192.0.2.2"})
	for range 10 {
		l.Refused(a, "origin", F{"path": "/api/x"})
	}
	l.Refused(b, "host", nil)
	now = now.Add(time.Minute)
	l.Refused(a, "origin", nil)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d records:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[4], `"suppressed":7`) || !strings.Contains(lines[4], `"outcome":"denied"`) {
		t.Errorf("last: %s", lines[4])
	}
}

func TestRequestsMiddleware(t *testing.T) {
	var got *Request
	h := Requests(func(*http.Request) string { return "203.0.113.9" })(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetUser(r.Context(), "carol")
		got = FromContext(r.Context())
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	id := rec.Header().Get("X-Request-Id")
	if len(id) != 16 || got == nil || got.ID != id || got.Client != "203.0.113.9" || got.User() != "carol" {
		t.Errorf("id %q req %+v", id, got)
	}
}

func TestParseExecuteMode(t *testing.T) {
	for in, want := range map[string]ExecuteMode{"": ExecuteOff, "off": ExecuteOff, "hash": ExecuteHash, "full": ExecuteFull} {
		if m, err := ParseExecuteMode(in); err != nil || m != want {
			t.Errorf("%q: %v %v", in, m, err)
		}
	}
	if _, err := ParseExecuteMode("yes"); err == nil {
		t.Error("yes accepted")
	}
}

func TestMainVerify(t *testing.T) {
	files := chain(t)
	var out, errb bytes.Buffer
	if c := Main(append([]string{"verify"}, files...), &out, &errb); c != 0 || !strings.Contains(out.String(), "ok: 12 records in 3 files") {
		t.Errorf("code %d: %s %s", c, out.String(), errb.String())
	}
	out.Reset()
	if c := Main(append([]string{"verify"}, files[1:]...), &out, &errb); c != 0 || !strings.Contains(out.String(), "follows one not given") {
		t.Errorf("without the oldest file: code %d: %s", c, out.String())
	}
	out.Reset()
	os.Remove(files[0])
	if c := Main(append([]string{"verify"}, files...), &out, &errb); c != 1 || !strings.Contains(out.String(), files[0]+": missing") {
		t.Errorf("code %d: %s", c, out.String())
	}
	if c := Main(nil, &out, &errb); c != 2 {
		t.Errorf("usage code %d", c)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add([]byte(`{"time":"x","event":"a","prev":""}` + "\n"))
	f.Add([]byte("{\"time\":1,\"prev\":\"00\"}\n{\"time\":2,\"prev\":\"\"}\nxx"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, _, _, err := verifyFile(bytes.NewReader(data), "f", "", "")
		if err == nil && n != bytes.Count(data, []byte("\n")) {
			t.Errorf("%d records verified of %d lines", n, bytes.Count(data, []byte("\n")))
		}
	})
}

// Two writers on one file (a server and quire trust) keep one chain.
func TestTwoWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	a, b := openTest(t, path), openTest(t, path)
	for i := range 6 {
		w := a
		if i%3 == 1 {
			w = b
		}
		w.Record(context.Background(), Event{Name: "e", Fields: F{"i": i}})
	}
	if sum, err := Verify([]string{path}); err != nil || sum.Records != 6 {
		t.Errorf("%+v %v", sum, err)
	}
}

// BenchmarkRecord is the cost a request pays for one record: encoding,
// the chain hash, the lock and write(2) to a file.
func BenchmarkRecord(b *testing.B) {
	l, err := Open(Options{Path: filepath.Join(b.TempDir(), "audit.log")})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx := reqCtx("0d5c0d5c0d5c0d5c0d5c0d5c0d5c0d5c")
	ev := Event{Name: "kernel.execute", Fields: F{"kernel_id": "44e276a1-decc-4a25-9afd-6cf21b7f523f", "kernel_name": "python3",
		"msg_id": "1e2d3c4b5a69788796a5b4c3d2e1f0a1", "code_sha256": strings.Repeat("ab", 32), "code_bytes": 4}}
	b.ReportAllocs()
	for b.Loop() {
		l.Record(ctx, ev)
	}
}
