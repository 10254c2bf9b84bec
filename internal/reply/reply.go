// Package reply writes Quire's HTTP answers, for the REST handlers and for
// the guard and auth middleware in front of them alike, so that every error
// body has Jupyter's shape: JSON {"message", "reason"} (plus an empty
// "traceback" on 5xx). It is also the one place where an error's errkind
// kind becomes an HTTP status (StatusOf). Pages that are not API answers
// get plain-text refusals (NotAllowed).
//
// reply imports only the standard library, errkind and bytesize, so every layer of a
// request's path (guard → auth → handler) can use it without pointing back
// at a later one.
package reply

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"

	"quire/internal/bytesize"
	"quire/internal/errkind"
)

// StatusOf maps an error kind to its HTTP status. It is the only place where
// that mapping is decided.
func StatusOf(err error) int {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	if errors.Is(err, os.ErrDeadlineExceeded) { // a body past --http-body-timeout
		return http.StatusRequestTimeout
	}
	switch errkind.Of(err) {
	case errkind.Invalid:
		return http.StatusBadRequest
	case errkind.Unauthenticated, errkind.Forbidden:
		return http.StatusForbidden
	case errkind.NotFound:
		return http.StatusNotFound
	case errkind.Conflict:
		return http.StatusConflict
	case errkind.Gone:
		return http.StatusGone
	case errkind.Stale:
		return http.StatusPreconditionFailed
	case errkind.TooLarge:
		return http.StatusRequestEntityTooLarge
	case errkind.TooMany:
		return http.StatusTooManyRequests
	case errkind.Unavailable:
		return http.StatusNotImplemented
	case errkind.Retry:
		return http.StatusServiceUnavailable
	case errkind.Storage:
		return http.StatusInsufficientStorage
	case errkind.Upstream:
		return http.StatusBadGateway
	}
	return http.StatusInternalServerError
}

// retryAfterSeconds is what a 503 tells the client to wait: long enough
// for a large request in flight (holding the request memory budget) or a
// restarting kernel to finish.
const retryAfterSeconds = 2

// errorBody is Jupyter's API error shape. A nil Reason is sent as null.
type errorBody struct {
	Message   string  `json:"message"`
	Reason    *string `json:"reason"`
	Traceback *string `json:"traceback,omitempty"`
}

// jsonStreamer is a value that writes its own JSON to w in large pieces
// (a contents model carrying a 20 MB notebook), instead of building it
// whole in memory first.
type jsonStreamer interface {
	StreamJSON(w io.Writer) error
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	if s, ok := v.(jsonStreamer); ok && status != http.StatusNoContent {
		streamJSON(w, status, s)
		return
	}
	w.WriteHeader(status)
	if v == nil || status == http.StatusNoContent {
		return
	}
	// Types that render themselves are written as they are: encoding/json
	// would re-scan and copy their output.
	if m, ok := v.(json.Marshaler); ok {
		if b, err := m.MarshalJSON(); err == nil {
			// Two writes rather than append: appending one byte to a 20 MB
			// slice at capacity would copy it.
			if _, err := w.Write(b); err == nil {
				_, _ = w.Write([]byte{'\n'})
			}
			return
		}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// streamJSON sends the status line only with the first piece of the body,
// so that a value failing to encode before then is still answered with a
// proper JSON error. A failure later can only cut the response short.
func streamJSON(w http.ResponseWriter, status int, s jsonStreamer) {
	lw := &lazyWriter{w: w, status: status}
	err := s.StreamJSON(lw)
	if err == nil {
		_, err = lw.Write([]byte{'\n'})
	}
	if err != nil && !lw.started {
		empty := ""
		WriteJSON(w, http.StatusInternalServerError, errorBody{
			Message: "Unexpected error while encoding the response", Traceback: &empty,
		})
	}
}

// lazyWriter writes the header with the first byte of the body.
type lazyWriter struct {
	w       http.ResponseWriter
	status  int
	started bool
}

func (lw *lazyWriter) Write(p []byte) (int, error) {
	if !lw.started {
		lw.started = true
		lw.w.WriteHeader(lw.status)
	}
	return lw.w.Write(p)
}

// WriteMessage answers status with the JSON error body {"message": msg,
// "reason": null}, for refusals decided by the caller rather than by an
// error's kind (a Host or Origin the guard turns away, a method a route
// does not take, an unknown API route).
func WriteMessage(w http.ResponseWriter, status int, msg string) {
	WriteJSON(w, status, errorBody{Message: msg})
}

// NotAllowed answers a page (not an API route) that does not take the
// request's method: 405 with the plain-text body "method not allowed" and
// allow ("GET, HEAD") as the Allow header.
func NotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
}

// WriteError answers err as a Jupyter JSON error: {"message", "reason"}.
// Unexpected errors are logged with their full chain and answered with a
// generic message so that no OS path or secret reaches the client.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status := StatusOf(err)
	msg, reason := errkind.Message(err)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		msg = "request body too large: the limit is " + bytesize.Format(mbe.Limit) + " (--max-body-size)"
	} else if status == http.StatusRequestTimeout {
		msg = "request body not received in time (--http-body-timeout)"
	}
	body := errorBody{Message: msg}
	if reason != "" {
		body.Reason = &reason
	}
	if status >= 500 {
		empty := ""
		body.Traceback = &empty
	}
	if status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		// Not possible now, possible later (errkind.Retry): a short wait.
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	}
	switch {
	case log == nil:
	case status == http.StatusInternalServerError:
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	case status >= 500: // the server's state or set-up, not a bug
		log.Warn("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	default:
		log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	WriteJSON(w, status, body)
}
