package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"quire/internal/errkind"
	"quire/internal/session"
)

func TestWriteSessionError(t *testing.T) {
	a := &API{d: Deps{Log: slog.New(slog.DiscardHandler)}}
	for _, tc := range []struct {
		name     string
		err      error
		status   int
		msg      string // in the message
		short    string // short_message ("" = absent)
		notInMsg string
	}{
		{name: "unknown kernelspec", err: errkind.WithReason(errkind.Unavailable, "Kernel spec julia not found", "julia not found", nil),
			status: 501, msg: "install it", short: "julia not found"},
		{name: "shutting down is not about installing", err: errkind.New(errkind.Unavailable, "server is shutting down", nil),
			status: 501, msg: "server is shutting down", notInMsg: "install"},
		{name: "other kinds as usual", err: errkind.New(errkind.Invalid, "Kernel socket paths would be too long", nil),
			status: 400, msg: "too long", notInMsg: "install"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodPost, "/api/sessions", nil)
			a.writeSessionError(w, r, session.Request{KernelName: "julia"}, tc.err)
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			msg, _ := body["message"].(string)
			short, _ := body["short_message"].(string)
			if w.Code != tc.status || !strings.Contains(msg, tc.msg) || short != tc.short ||
				(tc.notInMsg != "" && strings.Contains(msg, tc.notInMsg)) {
				t.Errorf("got %d %s", w.Code, w.Body)
			}
		})
	}
}
