package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"quire/internal/membudget"
	"quire/internal/nbformat"
)

// bigNotebook returns a valid notebook of at least n bytes.
func bigNotebook(n int) string {
	var b strings.Builder
	b.WriteString(`{"cells":[`)
	for i := 0; b.Len() < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"cell_type":"markdown","id":"c%d","metadata":{},"source":"%s"}`, i, strings.Repeat("x", 1000))
	}
	b.WriteString(`],"metadata":{},"nbformat":4,"nbformat_minor":5}`)
	return b.String()
}

func TestMemoryBudget(t *testing.T) {
	nb2 := bigNotebook(2 << 20)
	need := nbformat.Footprint([]byte(nb2)) // what a GET or PUT of it is charged
	budget := membudget.New(need+need/2, membudget.Options{Option: "--max-request-memory", Free: 1 << 20})
	e := newEnv(t, envOpt{maxBody: 64 << 20, memory: budget})
	e.write("two.ipynb", nb2)
	e.write("small.txt", "hello")

	wantStatus(t, e.do("GET", "/api/contents/two.ipynb", ""), http.StatusOK)
	if u := budget.Used(); u != 0 {
		t.Fatalf("after a GET the budget still holds %d bytes", u)
	}

	// Requests in flight hold most of the budget: a large request does
	// not fit.
	release, err := budget.Acquire(need)
	if err != nil {
		t.Fatal(err)
	}
	busy := []*struct{ method, target, body string }{
		{"GET", "/api/contents/two.ipynb", ""},
		{"PUT", "/api/contents/new.ipynb", `{"type":"notebook","content":` + nb2 + `}`},
	}
	for _, r := range busy {
		w := e.do(r.method, r.target, r.body)
		wantStatus(t, w, http.StatusServiceUnavailable)
		if ra := w.Header().Get("Retry-After"); ra == "" {
			t.Errorf("%s %s: 503 without Retry-After", r.method, r.target)
		}
		if m := decode(t, w)["message"].(string); !strings.Contains(m, "--max-request-memory") {
			t.Errorf("%s %s: message %q does not name the option", r.method, r.target, m)
		}
	}
	if _, ok := e.read("new.ipynb"); ok {
		t.Error("a refused PUT wrote the file")
	}
	// Small requests are not charged.
	wantStatus(t, e.do("GET", "/api/contents/small.txt", ""), http.StatusOK)
	wantStatus(t, e.do("GET", "/api/contents/two.ipynb?content=0", ""), http.StatusOK)
	wantStatus(t, e.do("GET", "/api/contents/", ""), http.StatusOK)
	release()

	wantStatus(t, e.do("PUT", "/api/contents/new.ipynb", `{"type":"notebook","content":`+nb2+`}`), http.StatusCreated)
	// A body of unknown length is charged once read.
	req := httptest.NewRequest("PUT", "/api/contents/chunked.ipynb", strings.NewReader(`{"type":"notebook","content":`+nb2+`}`))
	req.ContentLength = -1
	release, _ = budget.Acquire(need)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	wantStatus(t, w, http.StatusServiceUnavailable)
	release()

	// A notebook that could never fit: 413 naming the option.
	e.write("three.ipynb", bigNotebook(8<<20)) // 3× its bytes alone is over 1.5× the two-MiB notebook's need
	w = e.do("GET", "/api/contents/three.ipynb", "")
	wantStatus(t, w, http.StatusRequestEntityTooLarge)
	if m := decode(t, w)["message"].(string); !strings.Contains(m, "--max-request-memory") {
		t.Errorf("message %q does not name the option", m)
	}
	// A request that fails after its charge gives it back.
	e.write("bin.dat", strings.Repeat("\xff", 1<<20))
	wantStatus(t, e.do("GET", "/api/contents/bin.dat?type=file&format=text", ""), http.StatusBadRequest)
	e.write("broken.ipynb", strings.TrimSuffix(nb2, "}"))
	wantStatus(t, e.do("GET", "/api/contents/broken.ipynb", ""), http.StatusBadRequest)
	if u := budget.Used(); u != 0 {
		t.Fatalf("at the end the budget still holds %d bytes", u)
	}
}
