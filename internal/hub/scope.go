package hub

import "strings"

// Allowed reports whether the scopes a token holds grant one of the
// required access scopes (JUPYTERHUB_OAUTH_ACCESS_SCOPES): same base name,
// and the held filter absent, equal, or user=U covering server=U/…
// (spec §6.7). Group filters are not resolved, so they grant nothing.
func Allowed(held, required []string) bool {
	for _, r := range required {
		rBase, rFilter, _ := strings.Cut(r, "!")
		for _, h := range held {
			hBase, hFilter, hasFilter := strings.Cut(h, "!")
			if hBase != rBase {
				continue
			}
			switch {
			case !hasFilter, hFilter == rFilter:
				return true
			case strings.HasPrefix(hFilter, "user=") && strings.HasPrefix(rFilter, "server="):
				user := strings.TrimPrefix(hFilter, "user=")
				if owner, _, ok := strings.Cut(strings.TrimPrefix(rFilter, "server="), "/"); ok && owner == user {
					return true
				}
			}
		}
	}
	return false
}
