// Package errkind classifies errors by what a client can do about them.
//
// A layer that knows why an operation failed wraps the cause in an *Error
// carrying a Kind and a message that is safe to show a client (no OS paths,
// no secrets). Only package reply turns kinds into HTTP statuses; the wrapped cause
// is only ever logged.
package errkind

import (
	"errors"
	"fmt"
)

// Kind says what went wrong from the client's point of view.
type Kind int

// The kinds. Internal is the zero value: an error without a kind is a bug or
// an unexpected failure and is reported without detail.
const (
	Internal        Kind = iota // 500: unexpected; message not shown
	Invalid                     // 400: the request is malformed or not allowed
	Unauthenticated             // 401/403: no valid credentials
	Forbidden                   // 403: credentials fine, action refused
	NotFound                    // 404
	Conflict                    // 409: target already exists
	Gone                        // 410
	Stale                       // 412: If-Match / If-Unmodified-Since no longer holds
	TooLarge                    // 413: body or object over a configured limit
	TooMany                     // 429: throttled
	Unavailable                 // 501: a needed component is missing or cannot run
	Retry                       // 503: not possible now; the same request may succeed later
	// Storage: 507, the disk (or the user's quota) is full; the request may
	// succeed once space is freed. Its message says so and names no OS path.
	Storage
	// Upstream: 502, a service Quire relies on (the S3 store) answered with
	// an error or refused the request (wrong credentials, no such bucket).
	// Its message names the service and its reason, never a credential.
	// A service that cannot be reached at all is Retry (503).
	Upstream
)

var names = [...]string{
	Internal:        "internal",
	Invalid:         "invalid",
	Unauthenticated: "unauthenticated",
	Forbidden:       "forbidden",
	NotFound:        "not found",
	Conflict:        "conflict",
	Gone:            "gone",
	Stale:           "stale",
	TooLarge:        "too large",
	TooMany:         "too many",
	Unavailable:     "unavailable",
	Retry:           "retry",
	Storage:         "insufficient storage",
	Upstream:        "upstream",
}

func (k Kind) String() string {
	if int(k) >= 0 && int(k) < len(names) {
		return names[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is an error with a kind and a client-safe message.
type Error struct {
	Kind Kind
	// Msg is shown to clients as the JSON "message".
	Msg string
	// Reason is an optional short machine-readable reason ("bad type").
	Reason string
	// Err is the underlying cause; logged, never shown.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error of kind k with the client-safe message msg, wrapping
// cause (which may be nil).
func New(k Kind, msg string, cause error) error {
	return &Error{Kind: k, Msg: msg, Err: cause}
}

// Newf is New with a formatted message and no cause.
func Newf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// WithReason returns an error of kind k with a message and a short reason.
func WithReason(k Kind, msg, reason string, cause error) error {
	return &Error{Kind: k, Msg: msg, Reason: reason, Err: cause}
}

// Of returns the kind of the outermost *Error in err's chain, or Internal.
func Of(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err carries kind k.
func Is(err error, k Kind) bool { return err != nil && Of(err) == k }

// Message returns the client-safe message and reason of err. Errors without a
// kind give a generic message so that internals never reach a client.
func Message(err error) (msg, reason string) {
	var e *Error
	if errors.As(err, &e) && e.Kind != Internal {
		return e.Msg, e.Reason
	}
	return "Unhandled error", ""
}
