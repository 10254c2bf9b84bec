// Package logx builds Quire's structured loggers and its access log, both
// arranged so that a secret never reaches a log line: sensitive attribute
// keys are redacted, token-like substrings are scrubbed from every string
// value, and the access log records a redacted query, never the raw URL.
package logx

import (
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
)

// Redacted replaces the value of a sensitive attribute.
const Redacted = "[redacted]"

// Secret replaces the value of a sensitive query parameter or key=value
// substring.
const Secret = "[secret]"

// New returns a logger writing to w in format "text" or "json" at level
// "debug", "info", "warn" or "error". Every record passes through Redact.
func New(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lv = slog.LevelDebug
	case "info", "":
		lv = slog.LevelInfo
	case "warn", "warning":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: Redact}
	switch strings.ToLower(format) {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}

// sensitiveKeys are attribute keys whose values are never logged.
var sensitiveKeys = map[string]bool{
	"token": true, "password": true, "authorization": true, "cookie": true,
	"set_cookie": true, "hmac_key": true, "key": true, "secret": true,
}

// sensitiveKey reports attribute keys that name a secret: the exact keys
// above, and keys ending in _token, _password, _secret or _key (after
// lower-casing and turning '-' into '_').
func sensitiveKey(k string) bool {
	k = strings.ReplaceAll(strings.ToLower(k), "-", "_")
	if sensitiveKeys[k] {
		return true
	}
	for _, suf := range []string{"_token", "_password", "_secret", "_key", "_cookie"} {
		if strings.HasSuffix(k, suf) {
			return true
		}
	}
	return false
}

// Redact is a slog ReplaceAttr hook: it replaces the value of a sensitive
// key with Redacted, and scrubs token-like substrings from string, error
// and Stringer values (a URL with ?token= that slipped into an error).
func Redact(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindGroup {
		return a
	}
	if sensitiveKey(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); s != "" {
			if t := Scrub(s); t != s {
				return slog.String(a.Key, t)
			}
		}
	case slog.KindAny:
		var s string
		switch v := a.Value.Any().(type) {
		case error:
			s = v.Error()
		case fmt.Stringer:
			s = v.String()
		case []byte:
			s = string(v)
		default:
			return a
		}
		return slog.String(a.Key, Scrub(s))
	}
	return a
}

var (
	// key=value pairs whose key names a secret, in URLs, forms and messages.
	kvRE = regexp.MustCompile(`(?i)([a-z0-9_.\-]*(?:` + strings.Join(secretWords, "|") + `)[a-z0-9_.\-]*=)[^&;\s"'<>,]+`)
	// "Authorization: token abc", "Cookie: a=b; c=d" header lines.
	headerRE = regexp.MustCompile(`(?i)((?:authorization|proxy-authorization|cookie|set-cookie)\s*:\s*)[^\r\n"]+`)
	// "token abc…", "Bearer abc…" credentials of realistic length.
	schemeRE = regexp.MustCompile(`(?i)\b((?:token|bearer|basic)\s+)[A-Za-z0-9._~+/\-]{16,}=*`)
)

// Scrub replaces secrets inside free text: values of sensitive key=value
// pairs, header lines carrying credentials, "token …"/"Bearer …"
// credentials, and secrets nested in any URL or query-like word (a next
// parameter holding an encoded ?token=), through RedactURL.
func Scrub(s string) string {
	s = headerRE.ReplaceAllString(s, "${1}"+Secret)
	s = kvRE.ReplaceAllString(s, "${1}"+Secret)
	s = schemeRE.ReplaceAllString(s, "${1}"+Secret)
	return scrubWords(s)
}

// scrubWords passes every word of s (split at spaces, quotes and angle
// brackets) that could hold a parameter through RedactURL.
func scrubWords(s string) string {
	if !strings.ContainsAny(s, "=%") {
		return s
	}
	var b strings.Builder
	start := 0
	flush := func(end int) {
		w := s[start:end]
		if strings.ContainsAny(w, "=%") {
			w = RedactURL(w)
		}
		b.WriteString(w)
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r', '"', '\'', '<', '>', '`':
			flush(i)
			b.WriteByte(s[i])
			start = i + 1
		}
	}
	flush(len(s))
	return b.String()
}
