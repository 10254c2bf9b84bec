// Package guardtest judges redirects the way a browser does, for tests and
// fuzz targets of every package that answers with a Location header. It is
// imported by tests only.
//
// Resolve follows the WHATWG URL Standard's basic URL parser (the one
// browsers use for Location) closely enough to decide where a redirect
// lands: leading and trailing C0 controls and spaces are stripped, every
// tab, LF and CR removed; for the special schemes "\" is "/"; "//host" is
// scheme-relative; "http:x" with the base's scheme is relative while
// "https:x" on an http base is absolute; "." and ".." segments, plain or
// as "%2e", are resolved; hosts are percent-decoded, lower-cased and IPv4
// numbers in any of the parser's forms ("0x7f.1") read. Where it does not
// follow the standard it errs towards "another origin": a host with
// non-ASCII letters (which IDNA might map back to the server's name) is
// reported as such a host, never as the server.
package guardtest

import (
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
)

// URL is where a browser lands: the parts of a parsed URL that decide the
// origin and the path.
type URL struct {
	Scheme   string // lower case, without ":"
	Userinfo string // "user:pass" as serialised, "" when none
	Host     string // serialised host ("" for non-special schemes)
	Port     string // "" when absent or the scheme's default
	Path     string // serialised path ("/a/b"), or the opaque path
	Query    string // without "?", "" when none
	Fragment string // without "#"
	Opaque   bool   // a non-special scheme ("javascript:", "data:", …)
}

// Origin is scheme://host[:port], or "null" for an opaque origin.
func (u URL) Origin() string {
	if u.Opaque || (u.Scheme != "http" && u.Scheme != "https") {
		return "null"
	}
	if u.Port != "" {
		return u.Scheme + "://" + u.Host + ":" + u.Port
	}
	return u.Scheme + "://" + u.Host
}

// String serialises u as the URL Standard does (for the special schemes).
func (u URL) String() string {
	if u.Opaque {
		return u.Scheme + ":" + u.Path
	}
	s := u.Scheme + "://"
	if u.Userinfo != "" {
		s += u.Userinfo + "@"
	}
	s += u.Host
	if u.Port != "" {
		s += ":" + u.Port
	}
	s += u.Path
	if u.Query != "" {
		s += "?" + u.Query
	}
	return s
}

// ErrFailure is the parser's "failure": a browser refuses to follow such a
// Location (a network error), so it never lands anywhere.
var ErrFailure = errors.New("URL parse failure")

var defaultPorts = map[string]string{"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21", "file": ""}

func special(scheme string) bool {
	_, ok := defaultPorts[scheme]
	return ok
}

// Resolve parses input against base as a browser resolves a Location header
// value against the URL of the request that got it. base must be an
// absolute http or https URL.
func Resolve(input, base string) (URL, error) {
	b, err := parse(base, nil)
	if err != nil {
		return URL{}, fmt.Errorf("base %q: %w", base, err)
	}
	return parse(input, &b)
}

type parser struct {
	in   []rune
	i    int
	base *URL
	u    URL
	path []string
	// hasQuery and hasFrag track null versus empty.
	hasQuery bool
}

func (p *parser) c() rune {
	if p.i >= len(p.in) {
		return -1 // EOF
	}
	return p.in[p.i]
}

func (p *parser) remaining() []rune {
	if p.i+1 >= len(p.in) {
		return nil
	}
	return p.in[p.i+1:]
}

func isC0OrSpace(r rune) bool { return r >= 0 && r <= 0x20 }

func isAlpha(r rune) bool { return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' }
func isDigit(r rune) bool { return '0' <= r && r <= '9' }

func parse(input string, base *URL) (URL, error) {
	// Strip leading and trailing C0 control or space, then remove all ASCII
	// tab or newline.
	input = strings.TrimFunc(input, isC0OrSpace)
	input = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, input)
	p := &parser{in: []rune(input), base: base}
	return p.run()
}

// States of the basic URL parser (only those reachable with special
// schemes; a non-special scheme ends parsing with an opaque result).
const (
	sSchemeStart = iota
	sScheme
	sNoScheme
	sSpecialRelativeOrAuthority
	sRelative
	sRelativeSlash
	sSpecialAuthoritySlashes
	sSpecialAuthorityIgnoreSlashes
	sAuthority
	sPathStart
	sPath
	sQuery
	sFragment
)

func (p *parser) run() (URL, error) {
	state := sSchemeStart
	var buf []rune
	for ; ; p.i++ {
		c := p.c()
		switch state {
		case sSchemeStart:
			if isAlpha(c) {
				buf = append(buf, toLower(c))
				state = sScheme
			} else {
				state = sNoScheme
				p.i--
			}
		case sScheme:
			switch {
			case isAlpha(c) || isDigit(c) || c == '+' || c == '-' || c == '.':
				buf = append(buf, toLower(c))
			case c == ':':
				p.u.Scheme = string(buf)
				buf = buf[:0]
				if !special(p.u.Scheme) || p.u.Scheme == "file" {
					// javascript:, data:, file: … never the server's origin.
					p.u.Opaque = true
					p.u.Path = string(p.in[p.i+1:])
					return p.u, nil
				}
				if p.base != nil && p.base.Scheme == p.u.Scheme {
					state = sSpecialRelativeOrAuthority
				} else {
					state = sSpecialAuthoritySlashes
				}
			default:
				buf = buf[:0]
				state = sNoScheme
				p.i = -1
			}
		case sNoScheme:
			if p.base == nil || p.base.Opaque {
				return URL{}, ErrFailure
			}
			state = sRelative
			p.i--
		case sSpecialRelativeOrAuthority:
			if c == '/' && startsWith(p.remaining(), '/') {
				state = sSpecialAuthorityIgnoreSlashes
				p.i++
			} else {
				state = sRelative
				p.i--
			}
		case sRelative:
			p.u.Scheme = p.base.Scheme
			switch c {
			case '/', '\\':
				state = sRelativeSlash
			default:
				p.copyAuthority()
				p.path = splitPath(p.base.Path)
				p.u.Query, p.hasQuery = p.base.Query, p.base.Query != ""
				switch c {
				case '?':
					p.u.Query, p.hasQuery = "", true
					state = sQuery
				case '#':
					state = sFragment
				case -1:
				default:
					p.u.Query, p.hasQuery = "", false
					p.shorten()
					state = sPath
					p.i--
				}
			}
		case sRelativeSlash:
			if c == '/' || c == '\\' {
				state = sSpecialAuthorityIgnoreSlashes
			} else {
				p.copyAuthority()
				state = sPath
				p.i--
			}
		case sSpecialAuthoritySlashes:
			if c == '/' && startsWith(p.remaining(), '/') {
				state = sSpecialAuthorityIgnoreSlashes
				p.i++
			} else {
				state = sSpecialAuthorityIgnoreSlashes
				p.i--
			}
		case sSpecialAuthorityIgnoreSlashes:
			if c != '/' && c != '\\' {
				state = sAuthority
				p.i--
			}
		case sAuthority:
			// The authority runs to the first "/", "\", "?", "#" or the
			// end; its last "@" ends the user info.
			start := p.i
			end := start
			for end < len(p.in) && !strings.ContainsRune("/\\?#", p.in[end]) {
				end++
			}
			auth := p.in[start:end]
			hostport := auth
			if at := lastIndex(auth, '@'); at >= 0 {
				p.u.Userinfo = userinfo(auth[:at])
				hostport = auth[at+1:]
				if len(hostport) == 0 {
					return URL{}, ErrFailure
				}
			}
			if err := p.hostPort(hostport); err != nil {
				return URL{}, err
			}
			p.i = end - 1
			state = sPathStart
		case sPathStart:
			state = sPath
			if c != '/' && c != '\\' {
				p.i--
			}
		case sPath:
			if c == -1 || c == '/' || c == '\\' || c == '?' || c == '#' {
				seg := string(buf)
				switch {
				case isDoubleDot(seg):
					p.shorten()
					if c != '/' && c != '\\' {
						p.path = append(p.path, "")
					}
				case isSingleDot(seg):
					if c != '/' && c != '\\' {
						p.path = append(p.path, "")
					}
				default:
					p.path = append(p.path, seg)
				}
				buf = buf[:0]
				if c == '?' {
					p.u.Query, p.hasQuery = "", true
					state = sQuery
				}
				if c == '#' {
					state = sFragment
				}
			} else {
				buf = append(buf, []rune(percentEncode(c, pathSet))...)
			}
		case sQuery:
			if c == '#' || c == -1 {
				for _, r := range buf {
					p.u.Query += percentEncode(r, specialQuerySet)
				}
				buf = buf[:0]
				if c == '#' {
					state = sFragment
				}
			} else {
				buf = append(buf, c)
			}
		case sFragment:
			if c != -1 {
				p.u.Fragment += percentEncode(c, fragmentSet)
			}
		}
		if p.i >= len(p.in) {
			break
		}
	}
	if state == sSchemeStart || state == sScheme || state == sNoScheme {
		return URL{}, ErrFailure
	}
	if state == sSpecialAuthoritySlashes || state == sSpecialAuthorityIgnoreSlashes || state == sAuthority {
		return URL{}, ErrFailure // special scheme without a host
	}
	if p.path == nil && p.u.Path == "" {
		p.path = []string{""}
	}
	if p.path != nil {
		p.u.Path = "/" + strings.Join(p.path, "/")
	}
	return p.u, nil
}

// copyAuthority takes user info, host and port from the base.
func (p *parser) copyAuthority() {
	p.u.Userinfo, p.u.Host, p.u.Port = p.base.Userinfo, p.base.Host, p.base.Port
	if p.path == nil {
		p.path = []string{}
	}
}

// shorten removes the path's last segment.
func (p *parser) shorten() {
	if len(p.path) > 0 {
		p.path = p.path[:len(p.path)-1]
	}
}

func splitPath(s string) []string {
	if s == "" || s == "/" {
		return []string{""}
	}
	return strings.Split(strings.TrimPrefix(s, "/"), "/")
}

// hostPort parses "host[:port]" of a special URL.
func (p *parser) hostPort(hp []rune) error {
	host, port := hp, []rune(nil)
	inBrackets := false
	for i, r := range hp {
		if r == '[' {
			inBrackets = true
		}
		if r == ']' {
			inBrackets = false
		}
		if r == ':' && !inBrackets {
			host, port = hp[:i], hp[i+1:]
			break
		}
	}
	if len(host) == 0 {
		return ErrFailure
	}
	h, err := parseHost(string(host))
	if err != nil {
		return err
	}
	p.u.Host = h
	if len(port) > 0 {
		n := new(big.Int)
		for _, r := range port {
			if !isDigit(r) {
				return ErrFailure
			}
			n.Mul(n, big.NewInt(10))
			n.Add(n, big.NewInt(int64(r-'0')))
		}
		if n.Cmp(big.NewInt(65535)) > 0 {
			return ErrFailure
		}
		ps := n.String()
		if ps != defaultPorts[p.u.Scheme] {
			p.u.Port = ps
		}
	}
	return nil
}

// parseHost is the host parser for special URLs: IPv6 in brackets, else
// percent-decoded, lower-cased, checked for forbidden code points and read
// as IPv4 when it ends in a number.
func parseHost(s string) (string, error) {
	if strings.HasPrefix(s, "[") {
		if !strings.HasSuffix(s, "]") {
			return "", ErrFailure
		}
		a, err := netip.ParseAddr(s[1 : len(s)-1])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", ErrFailure
		}
		return "[" + ipv6String(a) + "]", nil
	}
	dec := percentDecode(s)
	// Domain to ASCII: ASCII letters are lower-cased. Anything else would
	// go through IDNA; it stays as it is, which can only make the host
	// differ from the server's.
	var b strings.Builder
	for _, r := range dec {
		if r < 0x80 {
			b.WriteRune(toLower(r))
		} else {
			b.WriteRune(r)
		}
	}
	ascii := b.String()
	if ascii == "" {
		return "", ErrFailure
	}
	for _, r := range ascii {
		if r <= 0x20 || r == 0x7f || strings.ContainsRune("#%/:<>?@[\\]^|", r) {
			return "", ErrFailure
		}
	}
	if endsInNumber(ascii) {
		return parseIPv4(ascii)
	}
	return ascii, nil
}

// ipv6String serialises an IPv6 address as the URL Standard does: eight
// hex pieces, the first longest run of two or more zero pieces as "::".
func ipv6String(a netip.Addr) string {
	b := a.As16()
	var pieces [8]uint16
	for i := range pieces {
		pieces[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	best, bestLen := -1, 1
	for i := 0; i < 8; {
		if pieces[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && pieces[j] == 0 {
			j++
		}
		if j-i > bestLen {
			best, bestLen = i, j-i
		}
		i = j
	}
	var sb strings.Builder
	for i := 0; i < 8; i++ {
		if i == best {
			if i == 0 {
				sb.WriteString("::")
			} else {
				sb.WriteString(":")
			}
			i += bestLen - 1
			continue
		}
		sb.WriteString(strconv.FormatUint(uint64(pieces[i]), 16))
		if i < 7 {
			sb.WriteString(":")
		}
	}
	return sb.String()
}

func endsInNumber(s string) bool {
	parts := strings.Split(s, ".")
	if parts[len(parts)-1] == "" {
		if len(parts) == 1 {
			return false
		}
		parts = parts[:len(parts)-1]
	}
	last := parts[len(parts)-1]
	if last != "" && strings.Trim(last, "0123456789") == "" {
		return true
	}
	_, ok := ipv4Number(last)
	return ok
}

// ipv4Number reads one IPv4 part: decimal, 0x hex or 0 octal.
func ipv4Number(s string) (*big.Int, bool) {
	if s == "" {
		return nil, false
	}
	radix := 10
	switch {
	case len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X"):
		s, radix = s[2:], 16
	case len(s) >= 2 && s[0] == '0':
		s, radix = s[1:], 8
	}
	if s == "" {
		return big.NewInt(0), true
	}
	n, ok := new(big.Int).SetString(s, radix)
	if !ok || strings.ContainsAny(s, "+-_ ") {
		return nil, false
	}
	return n, true
}

func parseIPv4(s string) (string, error) {
	parts := strings.Split(s, ".")
	if parts[len(parts)-1] == "" && len(parts) > 1 {
		parts = parts[:len(parts)-1]
	}
	if len(parts) > 4 {
		return "", ErrFailure
	}
	nums := make([]*big.Int, len(parts))
	for i, part := range parts {
		n, ok := ipv4Number(part)
		if !ok {
			return "", ErrFailure
		}
		nums[i] = n
	}
	for _, n := range nums[:len(nums)-1] {
		if n.Cmp(big.NewInt(255)) > 0 {
			return "", ErrFailure
		}
	}
	last := nums[len(nums)-1]
	limit := new(big.Int).Lsh(big.NewInt(1), uint(8*(5-len(nums))))
	if last.Cmp(limit) >= 0 {
		return "", ErrFailure
	}
	ip := new(big.Int).Set(last)
	for i, n := range nums[:len(nums)-1] {
		ip.Add(ip, new(big.Int).Lsh(n, uint(8*(3-i))))
	}
	v := ip.Uint64()
	return strconv.Itoa(int(v>>24)) + "." + strconv.Itoa(int(v>>16&255)) + "." +
		strconv.Itoa(int(v>>8&255)) + "." + strconv.Itoa(int(v&255)), nil
}

func percentDecode(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			v, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b = append(b, byte(v))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isSingleDot(s string) bool {
	return s == "." || strings.EqualFold(s, "%2e")
}

func isDoubleDot(s string) bool {
	switch strings.ToLower(s) {
	case "..", ".%2e", "%2e.", "%2e%2e":
		return true
	}
	return false
}

// Percent-encode sets of the URL Standard (beyond the C0 control set:
// C0 controls and everything above "~").
const (
	fragmentSet     = " \"<>`"
	querySet        = " \"#<>"
	specialQuerySet = querySet + "'"
	pathSet         = querySet + "?^`{}"
	userinfoSet     = pathSet + "/:;=@[\\]|"
)

func percentEncode(r rune, set string) string {
	if r > 0x1f && r < 0x7f && !strings.ContainsRune(set, r) {
		return string(r)
	}
	var b strings.Builder
	for _, c := range []byte(string(r)) {
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func userinfo(rs []rune) string {
	var b strings.Builder
	user, pass, hasPass := strings.Cut(string(rs), ":")
	for _, r := range user {
		b.WriteString(percentEncode(r, userinfoSet))
	}
	if hasPass && pass != "" {
		b.WriteByte(':')
		for _, r := range pass {
			b.WriteString(percentEncode(r, userinfoSet))
		}
	}
	return b.String()
}

func toLower(r rune) rune {
	if 'A' <= r && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}

func startsWith(rs []rune, r rune) bool { return len(rs) > 0 && rs[0] == r }

func lastIndex(rs []rune, r rune) int {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i] == r {
			return i
		}
	}
	return -1
}
