package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"quire/internal/errkind"
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
		{errkind.New(errkind.Storage, "the disk is full", errors.New("write /home/x/.a.quire-tmp-1: no space left on device")), 507, "the disk is full"},
		{mbe, 413, "1 MiB"},
		{errors.New("open /home/x/secret: EIO"), 500, "Unhandled error"},
	} {
		rec := httptest.NewRecorder()
		WriteError(rec, httptest.NewRequest("GET", "/api/x", nil), nil, tc.err)
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

func TestFormatTime(t *testing.T) {
	for in, want := range map[string]string{
		"2024-05-01T10:00:00Z":           "2024-05-01T10:00:00Z",
		"2024-05-01T10:00:00.123456789Z": "2024-05-01T10:00:00.123456Z",
		"2024-05-01T12:00:00.5+02:00":    "2024-05-01T10:00:00.500000Z",
	} {
		tm, err := timeParse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := FormatTime(tm); got != want {
			t.Errorf("FormatTime(%s) = %s, want %s", in, got, want)
		}
	}
}

func timeParse(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }
