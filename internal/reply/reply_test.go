package reply_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"quire/internal/errkind"
	"quire/internal/reply"
)

func TestWriteErrorStatusesAndBodies(t *testing.T) {
	mbe := &http.MaxBytesError{Limit: 1 << 20}
	for _, tc := range []struct {
		err    error
		status int
		msg    string
	}{
		{errkind.New(errkind.Invalid, "bad", nil), 400, "bad"},
		{errkind.New(errkind.Forbidden, "no", nil), 403, "no"},
		{errkind.New(errkind.NotFound, "gone", nil), 404, "gone"},
		{errkind.New(errkind.Conflict, "exists", nil), 409, "exists"},
		{errkind.New(errkind.Gone, "g", nil), 410, "g"},
		{errkind.New(errkind.Stale, "changed", nil), 412, "changed"},
		{errkind.New(errkind.TooLarge, "big", nil), 413, "big"},
		{errkind.New(errkind.TooMany, "slow down", nil), 429, "slow down"},
		{errkind.New(errkind.Unavailable, "missing", nil), 501, "missing"},
		{errkind.New(errkind.Retry, "not now", nil), 503, "not now"},
		{errkind.New(errkind.Upstream, "S3 bucket b refused the request: AccessDenied", errors.New("secret detail")), 502, "S3 bucket b refused the request: AccessDenied"},
		{errkind.New(errkind.Storage, "the disk is full", errors.New("write /home/x/.a.quire-tmp-1: no space left on device")), 507, "the disk is full"},
		{mbe, 413, "1 MiB"},
		// A body read past --http-body-timeout, however a handler wrapped it.
		{errkind.New(errkind.Invalid, "could not read the request body", fmt.Errorf("read: %w", os.ErrDeadlineExceeded)), 408, "--http-body-timeout"},
		{errors.New("open /home/x/secret: EIO"), 500, "Unhandled error"},
	} {
		rec := httptest.NewRecorder()
		reply.WriteError(rec, httptest.NewRequest("GET", "/api/x", nil), nil, tc.err)
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%v: body %q is not JSON", tc.err, rec.Body)
		}
		msg, _ := body["message"].(string)
		if rec.Code != tc.status || !strings.Contains(msg, tc.msg) || strings.Contains(rec.Body.String(), "/home/x") {
			t.Errorf("%v: %d %s", tc.err, rec.Code, rec.Body)
		}
		if _, ok := body["reason"]; !ok {
			t.Errorf("%v: no reason key", tc.err)
		}
	}
}

func TestMaxBytesMessage(t *testing.T) {
	for _, tc := range []struct {
		limit int64
		want  string
	}{
		{512, "the limit is 512 B (--max-body-size)"},
		{1024, "the limit is 1 KiB (--max-body-size)"},
		{1536, "the limit is 1.5 KiB (--max-body-size)"},
		{1 << 20, "the limit is 1 MiB (--max-body-size)"},
		{100 << 20, "the limit is 100 MiB (--max-body-size)"},
		{3 << 30, "the limit is 3 GiB (--max-body-size)"},
	} {
		rec := httptest.NewRecorder()
		reply.WriteError(rec, httptest.NewRequest("PUT", "/api/x", nil), nil, &http.MaxBytesError{Limit: tc.limit})
		if rec.Code != 413 || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("limit %d: %d %s, want 413 with %q", tc.limit, rec.Code, rec.Body, tc.want)
		}
	}
}

// TestBodiesByteForByte pins the exact bytes of the bodies that guard, auth
// and httpapi used to write each on their own, so that moving them here
// changed nothing a client sees.
func TestBodiesByteForByte(t *testing.T) {
	for _, tc := range []struct {
		name   string
		write  func(w http.ResponseWriter)
		status int
		ctype  string
		body   string
		allow  string
	}{
		{"guard refusal", func(w http.ResponseWriter) {
			reply.WriteMessage(w, 403, "Origin 'https://a.example' is not allowed; start Quire with --allow-origin https://a.example if you expect it")
		}, 403, "application/json",
			`{"message":"Origin 'https://a.example' is not allowed; start Quire with --allow-origin https://a.example if you expect it","reason":null}` + "\n", ""},
		{"no HTML escaping", func(w http.ResponseWriter) { reply.WriteMessage(w, 404, "<a&b>") },
			404, "application/json", `{"message":"<a&b>","reason":null}` + "\n", ""},
		{"login method", func(w http.ResponseWriter) { reply.WriteMessage(w, 405, "Method not allowed") },
			405, "application/json", `{"message":"Method not allowed","reason":null}` + "\n", ""},
		{"kind", func(w http.ResponseWriter) {
			reply.WriteError(w, httptest.NewRequest("GET", "/", nil), nil, errkind.WithReason(errkind.Invalid, "bad", "why", nil))
		}, 400, "application/json", `{"message":"bad","reason":"why"}` + "\n", ""},
		{"internal", func(w http.ResponseWriter) {
			reply.WriteError(w, httptest.NewRequest("GET", "/", nil), nil, errors.New("secret"))
		}, 500, "application/json", `{"message":"Unhandled error","reason":null,"traceback":""}` + "\n", ""},
		{"page method", func(w http.ResponseWriter) { reply.NotAllowed(w, "GET, HEAD") },
			405, "text/plain; charset=utf-8", "method not allowed\n", "GET, HEAD"},
	} {
		rec := httptest.NewRecorder()
		tc.write(rec)
		if rec.Code != tc.status || rec.Header().Get("Content-Type") != tc.ctype || rec.Body.String() != tc.body ||
			rec.Header().Get("Allow") != tc.allow {
			t.Errorf("%s: %d %q %q Allow %q, want %d %q %q Allow %q", tc.name, rec.Code, rec.Header().Get("Content-Type"),
				rec.Body, rec.Header().Get("Allow"), tc.status, tc.ctype, tc.body, tc.allow)
		}
	}
}

// streamer renders itself in pieces, failing after n of them.
type streamer struct{ n int }

func (s streamer) StreamJSON(w io.Writer) error {
	for i := range 3 {
		if i == s.n {
			return errors.New("broken")
		}
		if _, err := io.WriteString(w, `"x"`[i:i+1]); err != nil {
			return err
		}
	}
	return nil
}

func TestWriteJSONStreams(t *testing.T) {
	for _, tc := range []struct {
		name   string
		v      any
		status int
		body   string
	}{
		{"whole", streamer{n: -1}, 200, `"x"` + "\n"},
		{"fails before the first byte", streamer{n: 0}, 500,
			`{"message":"Unexpected error while encoding the response","reason":null,"traceback":""}` + "\n"},
		{"fails later", streamer{n: 2}, 200, `"x`},
		{"map", map[string]string{"a": "<b>"}, 200, `{"a":"<b>"}` + "\n"},
		{"raw", json.RawMessage(`{"a":1}`), 200, `{"a":1}` + "\n"},
	} {
		rec := httptest.NewRecorder()
		reply.WriteJSON(rec, 200, tc.v)
		if rec.Code != tc.status || rec.Body.String() != tc.body || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %q, want %d %q", tc.name, rec.Code, rec.Body, tc.status, tc.body)
		}
	}
	rec := httptest.NewRecorder()
	reply.WriteJSON(rec, http.StatusNoContent, map[string]string{"a": "b"})
	if rec.Code != 204 || rec.Body.Len() != 0 {
		t.Errorf("204: %d %q, want no body", rec.Code, rec.Body)
	}
}
