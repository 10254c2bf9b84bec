package guard

import (
	"net/http"
	"path"
	"strings"
)

// IsPublicAsset is the one rule for which requests are for public static
// assets: a GET or HEAD of a clean path under {base}static/app/, the web
// UI's files (no "..", "//" or "." segments, which path.Clean would
// change), or of {base}favicon.ico, the icon browsers ask for on their own.
// base is the normalised base URL ("/" or "/x/").
//
// Both checks that treat such requests specially ask it, so they can never
// disagree: the auth middleware lets them through without credentials (its
// list of public routes names this rule), and the Origin check lets them
// through cross-origin with cookies removed (the sandboxed output frame has
// an opaque origin). The login page's stylesheet is the auth middleware's
// own route, not one of these.
func IsPublicAsset(r *http.Request, base string) bool {
	if !safeMethod(r.Method) {
		return false
	}
	p := r.URL.Path
	if p == base+"favicon.ico" {
		return true
	}
	prefix := base + "static/app/"
	return strings.HasPrefix(p, prefix) && len(p) > len(prefix) && path.Clean(p) == p
}
