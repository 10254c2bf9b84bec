package guard

import (
	"net/http"
	"path"
	"strings"

	"quire/internal/baseurl"
)

// IsPublicAsset is the one rule for which requests are for public static
// assets: a GET or HEAD of a clean path under {base}static/app/, the web
// UI's files (no "..", "//" or "." segments, which path.Clean would
// change), or of {base}favicon.ico, the icon browsers ask for on their own.
// The path is matched against base as every route is (baseurl.Path.Rel).
//
// Both checks that treat such requests specially ask it, so they can never
// disagree: the auth middleware lets them through without credentials (its
// list of public routes names this rule), and the Origin check lets them
// through cross-origin with cookies removed (the sandboxed output frame has
// an opaque origin). The login page's stylesheet is the auth middleware's
// own route, not one of these.
func IsPublicAsset(r *http.Request, base baseurl.Path) bool {
	if !safeMethod(r.Method) {
		return false
	}
	rel, ok := base.Rel(r)
	if !ok {
		return false
	}
	if rel == "favicon.ico" {
		return true
	}
	const prefix = "static/app/"
	p := "/" + rel
	return strings.HasPrefix(rel, prefix) && len(rel) > len(prefix) && path.Clean(p) == p
}
