package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"quire/internal/httpapi"
)

func TestMe(t *testing.T) {
	alice := httpapi.User{Username: "alice", Name: "alice", DisplayName: "alice", Initials: "A"}
	h := httpapi.New(httpapi.Deps{BaseURL: "/x/", Identity: func(r *http.Request) (httpapi.User, bool) {
		return alice, r.Header.Get("X-Test-User") == "alice"
	}})
	identity := map[string]any{"username": "alice", "name": "alice", "display_name": "alice", "initials": "A", "avatar_url": nil, "color": nil}
	for _, tc := range []struct {
		name   string
		query  string
		user   bool
		status int
		want   map[string]any
	}{
		{"identity", "", true, 200, map[string]any{"identity": identity, "permissions": map[string]any{}}},
		{"permissions granted", `{"contents":["read","write"],"kernels":["execute"]}`, true, 200, map[string]any{"identity": identity,
			"permissions": map[string]any{"contents": []any{"read", "write"}, "kernels": []any{"execute"}}}},
		{"bad permissions", `{"contents":"read"}`, true, 400, nil},
		{"not json", `contents`, true, 400, nil},
		{"nobody", "", false, 403, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := "/x/api/me"
			if tc.query != "" {
				target += "?permissions=" + url.QueryEscape(tc.query)
			}
			r := httptest.NewRequest("GET", target, nil)
			if tc.user {
				r.Header.Set("X-Test-User", "alice")
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			var got map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			if tc.want == nil {
				if got["message"] == nil {
					t.Errorf("error body without a message: %s", w.Body)
				}
				return
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("body (-want +got):\n%s", d)
			}
		})
	}
}
