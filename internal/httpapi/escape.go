package httpapi

import (
	"net/url"
	"strings"
)

// escapePath percent-escapes each segment of an API path.
func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}
