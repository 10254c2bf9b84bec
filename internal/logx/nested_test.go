package logx_test

import (
	"net/url"
	"strings"
	"testing"

	"quire/internal/logx"
)

// Secrets nested in a parameter that is itself a URL or query are redacted
// at every level (issue #14 hole 8): POST /login?next=/tree%3Ftoken%3D… no
// longer logs the token.
func TestRedactNested(t *testing.T) {
	const s = "SECRETabc123"
	for _, tc := range []struct{ in, want string }{
		{"next=/tree", "next=/tree"},
		{"next=%2Ftree%2Fa.ipynb", "next=%2Ftree%2Fa.ipynb"},
		{"next=/tree?token=" + s, "next=/tree?token=[secret]"},
		{"next=/tree%3Ftoken%3D" + s, "next=/tree%3Ftoken%3D[secret]"},
		{"next=%2Ftree%3Ftoken%3D" + s + "%26x%3D1", "next=/tree%3Ftoken%3D[secret]%26x%3D1"},
		{"next=%252Ftree%253Ftoken%253D" + s, "next=/tree%253Ftoken%253D[secret]"},
		{"next=/lab%23token%3D" + s, "next=/lab%23token%3D[secret]"},
		{"next=/p%3Btoken%3D" + s, "next=/p%3Btoken%3D[secret]"},
		{"next=token%3D" + s, "next=token%3D[secret]"},
		{"next=/a%3Fnext%3D%252Fb%253F_xsrf%253D" + s, "next=/a%3Fnext%3D/b%253F_xsrf%253D[secret]"},
		{"next=http%3A%2F%2Fh%2Fcb%3Fcode%3D" + s + "%26state%3D" + s, "next=http://h/cb%3Fcode%3D[secret]%26state%3D[secret]"},
		{"%2Ftree%3Ftoken%3D" + s, "/tree%3Ftoken%3D[secret]"},
		// Past maxNesting levels the rest is replaced whole.
		{"next=" + strings.Repeat("%3Fa%3D", 12) + s, "next=" + strings.Repeat("%3Fa%3D", 7) + "[secret]"},
		{"next=a=b&token=" + s, "next=a=b&token=[secret]"},
	} {
		got := logx.RedactQuery(tc.in)
		if got != tc.want {
			t.Errorf("RedactQuery(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"http://h/lab?token=" + s + "#x", "http://h/lab?token=[secret]#x"},
		{"http://h/login?next=%2Ftree%3Ftoken%3D" + s, "http://h/login?next=/tree%3Ftoken%3D[secret]"},
		{"/cb#access_token=" + s + "&state=" + s, "/cb#access_token=[secret]&state=[secret]"},
		{"/tree/a.ipynb", "/tree/a.ipynb"},
		{"/x;password=" + s, "/x;password=[secret]"},
	} {
		if got := logx.RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}
	msg := `POST /login?next=%2Ftree%3Ftoken%3D` + s + ` "http://h/?next=/a%3F_xsrf%3D` + s + `": refused`
	if got := logx.Scrub(msg); strings.Contains(got, s) {
		t.Errorf("Scrub(%q) = %q keeps the secret", msg, got)
	}
}

// FuzzRedactNested: a secret under a secret-named key, wrapped in any
// sequence of URL, query, fragment and path-parameter layers, each raw or
// percent-encoded once or twice, never survives RedactQuery, RedactURL or
// Scrub, in the output or in any percent-decoding of it.
func FuzzRedactNested(f *testing.F) {
	f.Add("abc123", uint8(0), []byte{1})
	f.Add("Zz9", uint8(3), []byte{1, 1, 9, 0})
	f.Add("tok", uint8(5), []byte{6, 4, 2, 8, 7, 3, 5})
	f.Add("x", uint8(7), []byte{9, 9, 9, 9, 9, 9, 9, 9, 9, 9})
	keys := []string{"token", "TOKEN", "_xsrf", "access_token", "password", "code", "state", "tok%65n", "tok%2565n", "my.api-key"}
	f.Fuzz(func(t *testing.T, tail string, key uint8, wraps []byte) {
		secret := "S3cr3t" + strings.Map(func(r rune) rune {
			if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
				return r
			}
			return -1
		}, tail)
		s := keys[int(key)%len(keys)] + "=" + secret
		if len(wraps) > 12 {
			wraps = wraps[:12]
		}
		for _, w := range wraps {
			if len(s) > 1<<14 {
				break // each escapeEvery triples the length
			}
			switch w % 10 {
			case 0:
				s = "/tree?" + s
			case 1:
				s = "next=" + url.QueryEscape(s)
			case 2:
				s = "next=" + url.PathEscape(s)
			case 3:
				s = "next=" + s
			case 4:
				s = "/lab#" + s
			case 5:
				s = "a=1&" + s + "&b=2"
			case 6:
				s = "next=" + escapeEvery(s)
			case 7:
				s = "http://h/x?" + s
			case 8:
				s = "/p;" + s
			case 9:
				s = "next=" + strings.ReplaceAll(url.QueryEscape(s), "%", "%25")
			}
		}
		for name, out := range map[string]string{
			"RedactQuery": logx.RedactQuery(s),
			"RedactURL":   logx.RedactURL(s),
			"Scrub":       logx.Scrub("GET " + s + " failed"),
		} {
			o := out
			for range 16 {
				if strings.Contains(o, secret) {
					t.Fatalf("%s(%q) = %q shows the secret %q", name, s, out, secret)
				}
				d := decodeOnce(o)
				if d == o {
					break
				}
				o = d
			}
		}
	})
}

// escapeEvery percent-encodes every byte of s.
func escapeEvery(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[s[i]>>4])+string("0123456789abcdef"[s[i]&15])))
	}
	return b.String()
}

// decodeOnce decodes '+' and each valid %XX, leaving the rest.
func decodeOnce(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := url.PathUnescape(s[i : i+3]); err == nil {
				b.WriteString(v)
				i += 2
				continue
			}
		}
		if s[i] == '+' {
			b.WriteByte(' ')
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
