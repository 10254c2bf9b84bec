package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"quire/internal/errkind"
	"quire/internal/httpapi"
	"quire/internal/terminal"
	"quire/internal/wsbridge"
)

// fakeTerminals is a Terminals whose methods call per-test functions;
// the ones a test leaves nil answer as an empty manager would.
type fakeTerminals struct {
	create func(name, cwd string) (terminal.Model, error)
	del    func(name string) error
	models []terminal.Model
	last   time.Time
}

func (f *fakeTerminals) List() []terminal.Model { return f.models }

func (f *fakeTerminals) Get(name string) (terminal.Model, bool) {
	for _, m := range f.models {
		if m.Name == name {
			return m, true
		}
	}
	return terminal.Model{}, false
}

func (f *fakeTerminals) Create(_ context.Context, name, cwd string) (terminal.Model, error) {
	return f.create(name, cwd)
}

func (f *fakeTerminals) Delete(ctx context.Context, name string) error { return f.del(name) }

func (f *fakeTerminals) Attach(name string) (wsbridge.TextConn, error) {
	return nil, errkind.Newf(errkind.NotFound, "Terminal not found: %s", name)
}

func (f *fakeTerminals) Counts() (int, time.Time) { return len(f.models), f.last }

func TestTerminalRoutes(t *testing.T) {
	var gotName, gotCwd, deleted string
	ft := &fakeTerminals{
		models: []terminal.Model{{Name: "1", LastActivity: "2026-01-02T03:04:05.000000Z"}},
		create: func(name, cwd string) (terminal.Model, error) {
			gotName, gotCwd = name, cwd
			if cwd == "../x" {
				return terminal.Model{}, errkind.Newf(errkind.Invalid, "cwd %q is not a path inside the root directory", cwd)
			}
			return terminal.Model{Name: "2", LastActivity: "2026-01-02T03:04:05.000000Z"}, nil
		},
		del: func(name string) error { deleted = name; return nil },
	}
	h := httpapi.New(httpapi.Deps{BaseURL: "/", Terminals: ft, UI: fakeUI{}})
	for _, tc := range []struct {
		method, path, body string
		status             int
		want               string // in the body
	}{
		{"GET", "/api/terminals", "", 200, `[{"name":"1","last_activity":"2026-01-02T03:04:05.000000Z"}]`},
		{"POST", "/api/terminals", "", 200, `{"name":"2",`},
		{"POST", "/api/terminals", `{"name": "x", "cwd": "sub"}`, 200, `{"name":"2",`},
		{"POST", "/api/terminals", `{"cwd": "../x"}`, 400, `not a path inside the root`},
		{"POST", "/api/terminals", `{"cwd": 5}`, 400, `must be a string`},
		{"POST", "/api/terminals", `nope`, 400, `Invalid JSON`},
		{"GET", "/api/terminals/1", "", 200, `"name":"1"`},
		{"GET", "/api/terminals/9", "", 404, `Terminal not found: 9`},
		{"GET", "/api/terminals/a%20b", "", 404, `Terminal not found: a b`},
		{"DELETE", "/api/terminals/9", "", 404, `Terminal not found: 9`},
		{"DELETE", "/api/terminals/1", "", 204, ``},
		{"GET", "/terminals/websocket/9", "", 404, `Terminal not found: 9`},
		{"GET", "/api/status", "", 200, `"terminals":1`},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body)))
		if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("%s %s %s = %d %s; want %d with %q", tc.method, tc.path, tc.body, w.Code, w.Body, tc.status, tc.want)
		}
	}
	if gotName != "" || gotCwd != "../x" || deleted != "1" {
		t.Errorf("last create(%q, %q), delete(%q)", gotName, gotCwd, deleted)
	}

	// The page route goes to the UI.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/terminals/1", nil))
	if w.Header().Get("X-UI") != "page" {
		t.Errorf("GET /terminals/1 did not reach the UI page (%d)", w.Code)
	}
}

// Without Terminals every terminal route, the page included, is 404.
func TestTerminalRoutesOff(t *testing.T) {
	h := httpapi.New(httpapi.Deps{BaseURL: "/", UI: fakeUI{}})
	for _, p := range []string{"/api/terminals", "/api/terminals/1", "/terminals/websocket/1", "/terminals/1"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", p, nil))
		if w.Code != http.StatusNotFound || w.Header().Get("X-UI") != "" {
			t.Errorf("GET %s with terminals off = %d (UI %q); want 404", p, w.Code, w.Header().Get("X-UI"))
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/api/status", nil))
	var st map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if _, ok := st["terminals"]; ok {
		t.Errorf("api/status with terminals off = %s; want no terminals key", w.Body)
	}
}

// Terminal activity counts in api/status's last_activity.
func TestStatusTerminalActivity(t *testing.T) {
	started := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ft := &fakeTerminals{last: started.Add(time.Hour)}
	h := httpapi.New(httpapi.Deps{BaseURL: "/", Terminals: ft, Started: started})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/api/status", nil))
	if !strings.Contains(w.Body.String(), `"last_activity":"2026-01-01T01:00:00`) {
		t.Errorf("api/status = %s; want the terminal's activity", w.Body)
	}
}
