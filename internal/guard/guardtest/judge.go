package guardtest

import (
	"fmt"
	"strings"
)

// Check judges a Location header value the way a browser follows it. The
// server is at origin ("http://127.0.0.1:8888") under the base URL path base
// ("/" or "/x/"), and sent location in answer to a request for requestURL
// (absolute, or a path on origin). It returns nil when the browser lands on
// origin at base, or at a path under it; otherwise an error saying where it
// lands. Also refused: a value that is empty or holds anything but
// printable ASCII (header injection, bytes browsers decode differently), a
// value that does not parse (Quire must never send one), user info in the
// result, and a path starting with "//" (on the right origin, but one
// careless hop away from "//host").
func Check(location, requestURL, origin, base string) error {
	if location == "" {
		return fmt.Errorf("empty Location")
	}
	for i := 0; i < len(location); i++ {
		if c := location[i]; c < 0x21 || c > 0x7e {
			return fmt.Errorf("location %q holds byte %#x", location, c)
		}
	}
	if strings.HasPrefix(requestURL, "/") {
		requestURL = origin + requestURL
	}
	want, err := Resolve("/", origin)
	if err != nil {
		return fmt.Errorf("origin %q: %w", origin, err)
	}
	req, err := Resolve(requestURL, origin+"/")
	if err != nil {
		req = want // a request target no browser sends: judge against the root
	}
	u, err := Resolve(location, req.String())
	if err != nil {
		return fmt.Errorf("location %q does not parse: %w", location, err)
	}
	switch {
	case u.Origin() != want.Origin():
		return fmt.Errorf("location %q leaves the site: a browser goes to %s", location, u)
	case u.Userinfo != "":
		return fmt.Errorf("location %q carries user info: %s", location, u)
	case strings.HasPrefix(u.Path, "//"):
		return fmt.Errorf("location %q lands on path %q, which starts with //", location, u.Path)
	case u.Path != strings.TrimSuffix(base, "/") && !strings.HasPrefix(u.Path, base):
		return fmt.Errorf("location %q leaves the base URL %s: a browser goes to %s", location, base, u)
	}
	return nil
}

// Payloads returns the classic open-redirect targets: the four examples of
// issue #14 (and their forms under base "/x/"), scheme-relative and
// backslash forms, encoded and double-encoded slashes, stripped controls,
// same-scheme and other-scheme "scheme:host" forms, full-width and other
// Unicode slashes, dot segments in every encoding, user info and numeric
// hosts. Corpora of redirect fuzz targets start from these.
func Payloads() []string {
	return []string{
		// Issue #14, hole 1.
		"/.%2F%5Cevil.com/",
		"/%09//evil.com/",
		"/x/..%2F%5Cevil.com/",
		"/x/a%2F..%2F..%2F%5Cevil.com/",
		// Scheme-relative and backslashes.
		"//evil.com", "///evil.com", "////evil.com", "/\\evil.com", "\\\\evil.com", "\\/evil.com",
		"/\\/evil.com", "//\\evil.com", "/./\\evil.com", "/.\\evil.com", "/x/../\\evil.com",
		"//evil.com/", "//evil.com/x/", "//evil.com/%2F..",
		// Encoded slashes and backslashes, once and twice.
		"/%2F%2Fevil.com", "/%2f%2fevil.com", "/%5Cevil.com", "/%5cevil.com", "/%2F%5Cevil.com",
		"/%252F%252Fevil.com", "/%255Cevil.com", "/%25252F%25252Fevil.com", "%2F%2Fevil.com",
		"/.%2F%2Fevil.com/", "/..%2F..%2F%2Fevil.com/", "/x/%2e%2e%2F%2Fevil.com/",
		// Controls and whitespace browsers strip.
		"/\t/evil.com", "/\n/evil.com", "/\r/evil.com", "/%09/evil.com", "/%0A/evil.com", "/%0D/evil.com",
		" //evil.com", "\x00//evil.com", "/%00/evil.com", "/\x0b/evil.com", "/\t\\evil.com",
		"/%09%5Cevil.com/", "/%20//evil.com/",
		// Schemes.
		"https:evil.com", "http:evil.com", "https:/evil.com", "http:/\\evil.com", "http://evil.com",
		"https://evil.com", "HTTPS://evil.com", "javascript:alert(1)", "JaVaScRiPt:alert(1)",
		"data:text/html,<script>alert(1)</script>", "ws://evil.com", "file:///etc/passwd",
		"/x/http:evil.com/", "http:%2F%2Fevil.com",
		// Unicode look-alikes of "/", "\" and ".".
		"/／evil.com", "/＼evil.com", "/%EF%BC%8Fevil.com", "/%EF%BC%BCevil.com", "/∕evil.com",
		"/⁄evil.com", "/\u2215\u2215evil.com", "/。。/evil.com", "/\u200b//evil.com", "/\u202e//evil.com",
		// Dot segments in every spelling, leaving the base.
		"/x/../evil", "/x/%2e%2e/evil", "/x/.%2e/evil", "/x/%2E./evil", "/x/%252e%252e/evil",
		"/x/..;/evil", "/..", "/x/..", "/x/tree/../../evil/",
		// User info and hosts that are the server in disguise.
		"//evil.com@127.0.0.1:8888/", "//127.0.0.1:8888@evil.com/", "/@evil.com", "//0x7f.1:8888/",
		"//2130706433:8888/", "//127.0.0.1:8888\\@evil.com/",
		// Plain targets that must keep working.
		"/", "/x/", "/x", "/tree", "/tree/a.ipynb?x=1#f", "/x/tree/a%20b.ipynb", "/x/api/contents/",
		"/login?next=//evil.com", "/x/login?next=%2F%2Fevil.com",
	}
}
