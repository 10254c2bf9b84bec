package guardtest

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
)

// TestResolve pins what browsers do with the classic open-redirect forms
// (the expectations are those of the URL Standard, as Chrome and Firefox
// implement it; TestResolveMatchesNode checks them against a real parser).
func TestResolve(t *testing.T) {
	const base = "http://127.0.0.1:8888/x/tree/a"
	for _, tc := range []struct {
		in, want string // want "" = parse failure
	}{
		{"/x/tree/", "http://127.0.0.1:8888/x/tree/"},
		{"b", "http://127.0.0.1:8888/x/tree/b"},
		{"//evil.com", "http://evil.com/"},
		{"///evil.com", "http://evil.com/"},
		{"/\\evil.com", "http://evil.com/"},
		{"\\\\evil.com", "http://evil.com/"},
		{"\\/evil.com", "http://evil.com/"},
		{"/\t/evil.com", "http://evil.com/"},
		{"/\n/evil.com", "http://evil.com/"},
		{"/\r\n/evil.com", "http://evil.com/"},
		{" //evil.com", "http://evil.com/"},
		{"\x00//evil.com\x1f ", "http://evil.com/"},
		{"http:evil.com", "http://127.0.0.1:8888/x/tree/evil.com"},
		{"http:/evil.com", "http://127.0.0.1:8888/evil.com"},
		{"http://evil.com", "http://evil.com/"},
		{"http:/\\evil.com", "http://evil.com/"},
		{"http:\\\\evil.com", "http://evil.com/"},
		{"https:evil.com", "https://evil.com/"},
		{"HTTPS:evil.com", "https://evil.com/"},
		{"h\ttt\np:/\\evil.com", "http://evil.com/"},
		{"javascript:alert(1)", "javascript:alert(1)"},
		{"/%2e%2e/%2E%2e/evil", "http://127.0.0.1:8888/evil"},
		{"/x/.%2e/evil", "http://127.0.0.1:8888/evil"},
		{"/x/%2e./evil", "http://127.0.0.1:8888/evil"},
		{"/x/%2e/evil", "http://127.0.0.1:8888/x/evil"},
		{"/x/..%2F%5Cevil.com/", "http://127.0.0.1:8888/x/..%2F%5Cevil.com/"},
		{"/./\\evil.com", "http://127.0.0.1:8888//evil.com"},
		{"//127.0.0.1:8888/x/", "http://127.0.0.1:8888/x/"},
		{"//0x7f.1:8888/x/", "http://127.0.0.1:8888/x/"},
		{"//2130706433:8888/", "http://127.0.0.1:8888/"},
		{"//0177.0.0.1:8888/", "http://127.0.0.1:8888/"},
		{"//%31%32%37.0.0.1:8888/", "http://127.0.0.1:8888/"},
		{"//evil.com@127.0.0.1:8888/", "http://evil.com@127.0.0.1:8888/"},
		{"//127.0.0.1:8888@evil.com/", "http://127.0.0.1:8888@evil.com/"},
		{"//127.0.0.1:8888\\@evil.com/", "http://127.0.0.1:8888/@evil.com/"},
		{"//EVIL.com:80/", "http://evil.com/"},
		{"//[::1]:8888/", "http://[::1]:8888/"},
		{"//evil.com:99999/", ""},
		{"//evil.com:8x/", ""},
		{"//", ""},
		{"http://", ""},
		{"?a=b", "http://127.0.0.1:8888/x/tree/a?a=b"},
		{"#f", "http://127.0.0.1:8888/x/tree/a"},
		{"", "http://127.0.0.1:8888/x/tree/a"},
		{"/x/a b", "http://127.0.0.1:8888/x/a%20b"},
		{"/x/é", "http://127.0.0.1:8888/x/%C3%A9"},
		{"/／evil.com", "http://127.0.0.1:8888/%EF%BC%8Fevil.com"},
	} {
		got, err := Resolve(tc.in, base)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("Resolve(%q) = %s, want failure", tc.in, got)
		case tc.want != "" && err != nil:
			t.Errorf("Resolve(%q): %v, want %s", tc.in, err, tc.want)
		case tc.want != "" && got.String() != tc.want:
			t.Errorf("Resolve(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// nodeScript resolves each [input, base] pair with Node's WHATWG URL
// implementation and prints href (or null on failure) for each.
const nodeScript = `
const pairs = JSON.parse(require('fs').readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(pairs.map(([i, b]) => {
  try { const u = new URL(i, b); return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin + u.pathname + u.search : u.protocol; }
  catch (e) { return null; }
})));
`

// TestResolveMatchesNode compares Resolve with Node's URL parser (a WHATWG
// implementation) on the classic payloads and thousands of mutations of
// them. It is skipped where node is not installed.
func TestResolveMatchesNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	bases := []string{"http://127.0.0.1:8888/x/tree/a", "https://localhost/", "http://[::1]:80/a/b/"}
	seeds := Payloads()
	alphabet := []string{"/", "\\", ".", "..", "%2e", "%2E", "%2f", "%5C", "\t", "\n", "\r", " ", "\x00", "\x1f",
		":", "@", "?", "#", "[", "]", "evil.com", "127.0.0.1", "0x7f", "1", "8888", "http:", "https:", "HTTP:",
		"//", "%", "é", "／", "＼", "%00", "\x7f", "x", "ws:", "file:", "javascript:", "99999", "."}
	rng := rand.New(rand.NewPCG(1, 2))
	inputs := append([]string{}, seeds...)
	for range 6000 {
		var b strings.Builder
		if rng.IntN(2) == 0 {
			b.WriteString(seeds[rng.IntN(len(seeds))])
		}
		for range 1 + rng.IntN(6) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		s := b.String()
		if rng.IntN(3) == 0 {
			s = seeds[rng.IntN(len(seeds))] + s
		}
		inputs = append(inputs, s)
	}
	var pairs [][2]string
	for _, in := range inputs {
		for _, b := range bases {
			pairs = append(pairs, [2]string{in, b})
		}
	}
	js, _ := json.Marshal(pairs)
	cmd := exec.Command(node, "-e", nodeScript)
	cmd.Stdin = bytes.NewReader(js)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var want []*string
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("node output: %v", err)
	}
	bad := 0
	for i, p := range pairs {
		u, err := Resolve(p[0], p[1])
		var got *string
		if err == nil {
			s := u.Scheme + ":"
			if !u.Opaque && (u.Scheme == "http" || u.Scheme == "https") {
				s = u.Origin() + u.Path
				if u.Query != "" {
					s += "?" + u.Query
				}
			}
			got = &s
		}
		if (got == nil) != (want[i] == nil) || got != nil && *got != *want[i] {
			if got != nil && !sameOrigin(*got, p[1]) && (want[i] == nil || !sameOrigin(*want[i], p[1])) &&
				(u.Opaque || nonASCII(u.Host)) {
				// Known simplifications, both off-site either way: other
				// schemes are not parsed further, and non-ASCII hosts
				// skip IDNA (which may map them or refuse them).
				continue
			}
			bad++
			if bad <= 40 {
				t.Errorf("Resolve(%q, %q) = %s, node says %s", p[0], p[1], str(got), str(want[i]))
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d differ", bad, len(pairs))
	}
}

func str(s *string) string {
	if s == nil {
		return "failure"
	}
	return *s
}

func nonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

func sameOrigin(href, base string) bool {
	b, _ := Resolve("/", base)
	return strings.HasPrefix(href, b.Origin()+"/")
}
