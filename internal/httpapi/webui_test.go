package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"quire/internal/httpapi"
)

// fakeUI records which of its handlers a request reached.
type fakeUI struct{}

func (fakeUI) ServePage(w http.ResponseWriter, r *http.Request)   { w.Header().Set("X-UI", "page") }
func (fakeUI) ServeStatic(w http.ResponseWriter, r *http.Request) { w.Header().Set("X-UI", "static") }

func TestUIRoutes(t *testing.T) {
	for _, base := range []string{"/", "/x/"} {
		h := httpapi.New(httpapi.Deps{BaseURL: base, UI: fakeUI{}})
		cases := []struct {
			method, path, want string
			status             int
		}{
			{"GET", base, "page", 200},
			{"GET", base + "tree", "page", 200},
			{"GET", base + "tree/", "page", 200},
			{"GET", base + "tree/a/b%20c", "page", 200},
			{"HEAD", base + "notebooks/a.ipynb", "page", 200},
			{"GET", base + "edit/x.py", "page", 200},
			{"GET", base + "static/app/assets/a.js", "static", 200},
			{"HEAD", base + "static/app/sandbox.html", "static", 200},
			{"GET", base + "favicon.ico", "static", 200},
			{"HEAD", base + "favicon.ico", "static", 200},
			{"POST", base + "tree", "", 405},
			{"GET", base + "api/nope", "", 404},
			{"GET", base + "treex", "", 404},
		}
		for _, c := range cases {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(c.method, c.path, nil))
			if got := w.Header().Get("X-UI"); got != c.want || w.Code != c.status {
				t.Errorf("%s %s: reached %q with %d, want %q with %d", c.method, c.path, got, w.Code, c.want, c.status)
			}
		}
	}
}
