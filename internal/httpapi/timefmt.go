package httpapi

import (
	"net/url"
	"strings"
	"time"
)

// FormatTime renders t as Jupyter does: UTC ISO 8601 with "Z", microseconds
// only when non-zero.
func FormatTime(t time.Time) string {
	t = t.UTC().Truncate(time.Microsecond)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000000Z")
}

// escapePath percent-escapes each segment of an API path.
func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}
