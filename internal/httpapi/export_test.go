package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"quire/internal/membudget"
	"quire/internal/nbformat"
)

const exportNB = `{"cells":[{"cell_type":"markdown","id":"m","metadata":{},"source":"# T"},{"cell_type":"code","id":"c","metadata":{},"execution_count":1,"source":"1+1","outputs":[{"output_type":"display_data","metadata":{},"data":{"application/javascript":"alert(1)","text/plain":"two"}}]}],"metadata":{"language_info":{"name":"python","file_extension":".py"}},"nbformat":4,"nbformat_minor":5}`

func TestExport(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.write("n b.ipynb", exportNB)
	e.write(".h.ipynb", exportNB)
	e.write("t.txt", "text")
	e.write("bad.ipynb", "[1,2]")
	e.write("d/x.ipynb", exportNB)
	for _, tc := range []struct {
		url, ctype, disp, body string
		status                 int
	}{
		{"/nbconvert/script/n%20b.ipynb?download=true", "text/x-python; charset=utf-8", "attachment; filename*=UTF-8''n%20b.py", "# # T\n\n\n1+1\n", 200},
		{"/nbconvert/markdown/n%20b.ipynb", "text/markdown; charset=utf-8", "", "```python\n1+1\n```", 200},
		{"/nbconvert/html/n%20b.ipynb?download=1", "text/html; charset=utf-8", "attachment; filename*=UTF-8''n%20b.html", "<h1>T</h1>", 200},
		{"/nbconvert/notebook/n%20b.ipynb?download=true", "application/json; charset=utf-8", "attachment; filename*=UTF-8''n%20b.ipynb", exportNB, 200},
		{"/nbconvert/html/d/x.ipynb", "text/html; charset=utf-8", "", "two", 200},
		{"/nbconvert/pdf/n%20b.ipynb", "", "", "known formats: html, markdown, notebook, script", 404},
		{"/nbconvert/html/missing.ipynb", "", "", "does not exist", 404},
		{"/nbconvert/html/.h.ipynb", "", "", "", 404},
		{"/nbconvert/notebook/.h.ipynb", "", "", "", 404},
		{"/nbconvert/html/t.txt", "", "", "not a notebook", 400},
		{"/nbconvert/html/d", "", "", "not a notebook", 400},
		{"/nbconvert/html/bad.ipynb", "", "", "Unreadable Notebook", 400},
		{"/nbconvert/html/%2e%2e/x.ipynb", "", "", "", 404},
	} {
		w := e.do("GET", tc.url, "")
		if w.Code != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.url, w.Code, tc.status, w.Body)
			continue
		}
		if got := w.Header().Get("Content-Security-Policy"); got != wantCSP {
			t.Errorf("%s: CSP %q", tc.url, got)
		}
		if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", tc.url, got)
		}
		if !strings.Contains(w.Body.String(), tc.body) {
			t.Errorf("%s: body lacks %q:\n%s", tc.url, tc.body, w.Body)
		}
		if tc.status != 200 {
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("%s: error as %q, want JSON", tc.url, ct)
			}
			continue
		}
		if got := w.Header().Get("Content-Type"); got != tc.ctype {
			t.Errorf("%s: Content-Type %q, want %q", tc.url, got, tc.ctype)
		}
		if got := w.Header().Get("Content-Disposition"); got != tc.disp {
			t.Errorf("%s: Content-Disposition %q, want %q", tc.url, got, tc.disp)
		}
		if strings.Contains(w.Body.String(), "alert(1)") && tc.url != "/nbconvert/notebook/n%20b.ipynb?download=true" {
			t.Errorf("%s: the untrusted JavaScript output is in the export", tc.url)
		}
	}
	if w := e.do("POST", "/nbconvert/html/n%20b.ipynb", ""); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", w.Code)
	}
}

func TestExportMemoryBudget(t *testing.T) {
	nb2 := bigNotebook(2 << 20)
	need := nbformat.Footprint([]byte(nb2))
	budget := membudget.New(need+need/2, membudget.Options{Option: "--max-request-memory", Free: 1 << 20})
	e := newEnv(t, envOpt{maxBody: 64 << 20, memory: budget})
	e.write("two.ipynb", nb2)
	wantStatus(t, e.do("GET", "/nbconvert/html/two.ipynb", ""), http.StatusOK)
	if u := budget.Used(); u != 0 {
		t.Fatalf("after an export the budget still holds %d bytes", u)
	}
	release, err := budget.Acquire(need)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	for _, f := range []string{"html", "markdown", "script"} {
		w := e.do("GET", "/nbconvert/"+f+"/two.ipynb", "")
		wantStatus(t, w, http.StatusServiceUnavailable)
		if m := decode(t, w)["message"].(string); !strings.Contains(m, "--max-request-memory") {
			t.Errorf("%s: message %q does not name the option", f, m)
		}
	}
}
