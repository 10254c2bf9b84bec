package wire_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"quire/internal/kernel/wire"
)

func mustSigner(t testing.TB, scheme, key string) *wire.Signer {
	t.Helper()
	s, err := wire.NewSigner(scheme, []byte(key))
	if err != nil {
		t.Fatalf("NewSigner(%q): %v", scheme, err)
	}
	return s
}

func sample() *wire.Message {
	return &wire.Message{
		Identities:   [][]byte{[]byte("client-1"), []byte("route-2")},
		Header:       json.RawMessage(`{"msg_id":"a1","msg_type":"execute_request","session":"s","username":"u","date":"2024-01-02T03:04:05.000006Z","version":"5.3"}`),
		ParentHeader: json.RawMessage(`{}`),
		Metadata:     json.RawMessage(`{"k":"ü"}`),
		Content:      json.RawMessage(`{"code":"print(6*7)","silent":false}`),
		Buffers:      [][]byte{{0, 1, 2}, {}},
	}
}

func TestSign(t *testing.T) {
	h, p, md, c := []byte(`{"a":1}`), []byte(`{}`), []byte(`{"m":2}`), []byte(`{"c":"é"}`)
	for _, tc := range []struct {
		scheme, key, want string
	}{
		{"hmac-sha256", "secret", mac(sha256.New, "secret", h, p, md, c)},
		{"", "secret", mac(sha256.New, "secret", h, p, md, c)},
		{"hmac-sha512", "k2", mac(sha512.New, "k2", h, p, md, c)},
		{"hmac-sha256", "", ""},
	} {
		s := mustSigner(t, tc.scheme, tc.key)
		if got := s.Sign(h, p, md, c); got != tc.want {
			t.Errorf("%s/%q: Sign = %q, want %q", tc.scheme, tc.key, got, tc.want)
		}
	}
	// A fixed vector, so a change of concatenation order cannot pass unseen.
	s := mustSigner(t, "hmac-sha256", "key")
	if got, want := s.Sign([]byte("a"), []byte("b"), []byte("c"), []byte("d")), mac(sha256.New, "key", []byte("abcd")); got != want {
		t.Errorf("Sign(a,b,c,d) = %s, want HMAC(abcd) %s", got, want)
	}
}

func mac(h func() hash.Hash, key string, parts ...[]byte) string {
	m := hmac.New(h, []byte(key))
	for _, p := range parts {
		m.Write(p)
	}
	return hex.EncodeToString(m.Sum(nil))
}

func TestNewSignerSchemes(t *testing.T) {
	for _, tc := range []struct {
		scheme string
		ok     bool
	}{
		{"hmac-sha256", true}, {"hmac-sha1", true}, {"hmac-sha224", true}, {"hmac-sha384", true},
		{"hmac-sha512", true}, {"hmac-md5", true}, {"", true},
		{"sha256", false}, {"hmac-sha3", false}, {"HMAC-SHA256", false},
	} {
		_, err := wire.NewSigner(tc.scheme, []byte("k"))
		if (err == nil) != tc.ok {
			t.Errorf("NewSigner(%q) error = %v, want ok=%v", tc.scheme, err, tc.ok)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  string
		m    *wire.Message
	}{
		{"full", "secret", sample()},
		{"no identities or buffers", "secret", &wire.Message{Header: json.RawMessage(`{"msg_type":"status"}`), ParentHeader: json.RawMessage(`{}`), Metadata: json.RawMessage(`{}`), Content: json.RawMessage(`{}`)}},
		{"empty key", "", sample()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mustSigner(t, "hmac-sha256", tc.key)
			frames := s.Encode(tc.m)
			i := len(tc.m.Identities)
			if string(frames[i]) != wire.Delimiter {
				t.Fatalf("frame %d = %q, want delimiter", i, frames[i])
			}
			if got, want := string(frames[i+1]), s.Sign(tc.m.Header, tc.m.ParentHeader, tc.m.Metadata, tc.m.Content); got != want {
				t.Errorf("signature frame = %q, want %q", got, want)
			}
			got, err := s.Decode(frames)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tc.m, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEncodeFillsAbsentDicts(t *testing.T) {
	s := mustSigner(t, "hmac-sha256", "k")
	frames := s.Encode(&wire.Message{Header: json.RawMessage(`{}`), Content: json.RawMessage(`{}`)})
	if got := string(frames[3]) + string(frames[4]); got != "{}{}" {
		t.Errorf("parent+metadata frames = %q, want {}{}", got)
	}
}

func TestDecodeErrors(t *testing.T) {
	s := mustSigner(t, "hmac-sha256", "secret")
	good := s.Encode(sample())
	tamper := func(i int, b string) [][]byte {
		f := append([][]byte(nil), good...)
		f[i] = []byte(b)
		return f
	}
	sig := string(good[3])
	for _, tc := range []struct {
		name   string
		frames [][]byte
		want   error
	}{
		{"no delimiter", [][]byte{[]byte("x"), []byte("y")}, wire.ErrNoDelimiter},
		{"nothing", nil, wire.ErrNoDelimiter},
		{"short", good[:len(good)-4], wire.ErrShort},
		{"content changed", tamper(7, `{"code":"rm -rf /"}`), wire.ErrBadSignature},
		{"header changed", tamper(4, `{}`), wire.ErrBadSignature},
		{"empty signature", tamper(3, ""), wire.ErrBadSignature},
		{"uppercase signature", tamper(3, strings.ToUpper(sig)), wire.ErrBadSignature},
		{"truncated signature", tamper(3, sig[:len(sig)-2]), wire.ErrBadSignature},
		{"other key", mustSigner(t, "hmac-sha256", "other").Encode(sample()), wire.ErrBadSignature},
		{"other scheme", mustSigner(t, "hmac-sha512", "secret").Encode(sample()), wire.ErrBadSignature},
	} {
		if _, err := s.Decode(tc.frames); !errors.Is(err, tc.want) {
			t.Errorf("%s: Decode error = %v, want %v", tc.name, err, tc.want)
		}
	}
	// Buffers are not signed: changing them keeps the message valid.
	m, err := s.Decode(tamper(9, "changed buffer"))
	if err != nil || string(m.Buffers[1]) != "changed buffer" {
		t.Errorf("buffer change: Decode = %v, %v; want accepted", m, err)
	}
	// Identities are kept and may look like anything but the delimiter.
	m, err = s.Decode(append([][]byte{[]byte("")}, good...))
	if err != nil || len(m.Identities) != 3 {
		t.Errorf("extra empty identity: Decode = %v, %v", m, err)
	}
}

func TestEmptyKey(t *testing.T) {
	s := mustSigner(t, "hmac-sha256", "")
	frames := s.Encode(sample())
	if len(frames[3]) != 0 {
		t.Fatalf("signature with empty key = %q, want empty", frames[3])
	}
	if _, err := s.Decode(frames); err != nil {
		t.Errorf("Decode unsigned: %v", err)
	}
	signed := mustSigner(t, "hmac-sha256", "k").Encode(sample())
	if _, err := s.Decode(signed); !errors.Is(err, wire.ErrBadSignature) {
		t.Errorf("empty-key Decode of a signed message: %v, want ErrBadSignature", err)
	}
	if _, err := mustSigner(t, "hmac-sha256", "k").Decode(frames); !errors.Is(err, wire.ErrBadSignature) {
		t.Errorf("keyed Decode of an unsigned message: %v, want ErrBadSignature", err)
	}
}

func TestParse(t *testing.T) {
	m := sample()
	h, err := m.ParseHeader()
	if err != nil || h.MsgID != "a1" || h.MsgType != "execute_request" || h.Version != "5.3" {
		t.Errorf("ParseHeader = %+v, %v", h, err)
	}
	if got := m.Type(); got != "execute_request" {
		t.Errorf("Type = %q", got)
	}
	for _, parent := range []string{"", "{}"} {
		m.ParentHeader = json.RawMessage(parent)
		if p, err := m.ParseParent(); err != nil || p != (wire.Header{}) {
			t.Errorf("ParseParent(%q) = %+v, %v; want zero", parent, p, err)
		}
	}
	m.ParentHeader = json.RawMessage(`{"msg_id":"p","msg_type":"kernel_info_request","extra":[1]}`)
	if p, err := m.ParseParent(); err != nil || p.MsgID != "p" || p.MsgType != "kernel_info_request" {
		t.Errorf("ParseParent = %+v, %v", p, err)
	}
	m.Header = json.RawMessage(`not json`)
	if _, err := m.ParseHeader(); err == nil {
		t.Error("ParseHeader(not json) succeeded")
	}
	if got := m.Type(); got != "" {
		t.Errorf("Type of bad header = %q, want empty", got)
	}
}

var (
	uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	dateRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)
)

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := wire.NewID()
		if !uuidRE.MatchString(id) {
			t.Fatalf("NewID = %q, not a uuid4", id)
		}
		if seen[id] {
			t.Fatalf("NewID repeated %q", id)
		}
		seen[id] = true
	}
}

func TestNewMessage(t *testing.T) {
	parent := json.RawMessage(`{"msg_id":"req-1","msg_type":"execute_request"}`)
	before := time.Now().UTC().Add(-time.Second)
	m, err := wire.NewMessage("status", "sess", "quire", map[string]string{"execution_state": "busy"}, parent)
	if err != nil {
		t.Fatal(err)
	}
	h, err := m.ParseHeader()
	if err != nil {
		t.Fatal(err)
	}
	if h.MsgType != "status" || h.Session != "sess" || h.Username != "quire" || h.Version != "5.4" {
		t.Errorf("header = %+v", h)
	}
	if !strings.HasPrefix(h.MsgID, "sess_") || strings.Count(h.MsgID, "_") != 2 {
		t.Errorf("msg_id = %q, want sess_<pid>_<n>", h.MsgID)
	}
	if !dateRE.MatchString(h.Date) {
		t.Errorf("date = %q, want ISO UTC with microseconds and Z", h.Date)
	}
	if d, err := time.Parse(time.RFC3339Nano, h.Date); err != nil || d.Before(before) {
		t.Errorf("date %q: %v", h.Date, err)
	}
	if string(m.ParentHeader) != string(parent) || string(m.Metadata) != "{}" || string(m.Content) != `{"execution_state":"busy"}` {
		t.Errorf("message = %s %s %s", m.ParentHeader, m.Metadata, m.Content)
	}
	m2, err := wire.NewMessage("status", "sess", "quire", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := m2.ParseHeader()
	if h2.MsgID == h.MsgID || string(m2.ParentHeader) != "{}" || string(m2.Content) != "{}" {
		t.Errorf("second message: id %q (first %q), parent %s, content %s", h2.MsgID, h.MsgID, m2.ParentHeader, m2.Content)
	}
	if _, err := wire.NewMessage("x", "s", "u", func() {}, nil); err == nil {
		t.Error("NewMessage with unmarshalable content succeeded")
	}
}

func TestSessionCounter(t *testing.T) {
	s := wire.NewSession("abc", "me")
	var ids []string
	for range 3 {
		m, err := s.NewMessage("status", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := m.ParseHeader()
		if h.Session != "abc" || h.Username != "me" {
			t.Errorf("header = %+v", h)
		}
		ids = append(ids, h.MsgID)
	}
	for i, id := range ids {
		if !strings.HasPrefix(id, "abc_") || !strings.HasSuffix(id, "_"+string(rune('0'+i))) {
			t.Errorf("msg_id %d = %q, want abc_<pid>_%d", i, id, i)
		}
	}
}

func FuzzDecode(f *testing.F) {
	const key = "fuzz-key"
	s := mustSigner(f, "hmac-sha256", key)
	join := func(frames [][]byte) []byte { // frames as length-prefixed bytes
		var b bytes.Buffer
		for _, fr := range frames {
			b.WriteByte(byte(len(fr)))
			b.Write(fr)
		}
		return b.Bytes()
	}
	f.Add(join(s.Encode(sample())))
	f.Add(join(s.Encode(&wire.Message{Header: json.RawMessage(`{}`), Content: json.RawMessage(`{}`)})))
	f.Add(join([][]byte{[]byte(wire.Delimiter), {}, {}, {}, {}, {}}))
	f.Add([]byte("\x09<IDS|MSG>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		frames := split(data)
		m, err := s.Decode(frames)
		if err != nil {
			return
		}
		// Accepted ⇒ the signature matched the four dict frames as received.
		i := len(m.Identities)
		if string(frames[i]) != wire.Delimiter {
			t.Fatalf("accepted, but frame %d is %q, not the delimiter", i, frames[i])
		}
		want := mac(sha256.New, key, frames[i+2], frames[i+3], frames[i+4], frames[i+5])
		if string(frames[i+1]) != want {
			t.Fatalf("accepted signature %q, want %q", frames[i+1], want)
		}
		// Re-encoding gives frames that decode to the same message.
		again, err := s.Decode(s.Encode(m))
		if err != nil {
			t.Fatalf("re-encoded message rejected: %v", err)
		}
		if diff := cmp.Diff(m, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("re-decode differs (-first +second):\n%s", diff)
		}
	})
}

// split reads length-prefixed frames (one length byte each); a truncated
// last frame takes what remains.
func split(data []byte) [][]byte {
	var frames [][]byte
	for len(data) > 0 {
		n := min(int(data[0]), len(data)-1)
		frames = append(frames, data[1:1+n])
		data = data[1+n:]
	}
	return frames
}
