// Package public holds the one rule for which requests are for public
// static assets: the web UI's files under {base}static/app/ (the login
// page's stylesheet is the auth middleware's own route). The auth
// middleware lets them through without
// credentials, and the Origin check lets them through cross-origin with
// cookies removed (the sandboxed output frame has an opaque origin). Both
// ask this package, so the two can never disagree.
package public

import (
	"net/http"
	"path"
	"strings"
)

// IsAsset reports whether r is a GET or HEAD of a clean path under
// {base}static/app/ (no "..", "//" or "." segments, which path.Clean
// would change). base is the normalised base URL ("/" or "/x/").
func IsAsset(r *http.Request, base string) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	prefix := base + "static/app/"
	return strings.HasPrefix(p, prefix) && len(p) > len(prefix) && path.Clean(p) == p
}
