package wire

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"sync"
)

// Signer signs and verifies messages with one kernel's key. It is safe for
// concurrent use.
type Signer struct {
	scheme string
	key    []byte
	hash   func() hash.Hash
	// macs holds keyed HMAC states: hmac.New hashes the key pads on every
	// call, two extra blocks and four allocations per message.
	macs sync.Pool
}

// Errors returned by Decode; they are wrapped with detail.
var (
	ErrNoDelimiter  = errors.New("missing " + Delimiter + " delimiter")
	ErrShort        = errors.New("fewer than 5 frames after the delimiter")
	ErrBadSignature = errors.New("bad message signature")
)

// NewSigner returns a Signer for scheme ("hmac-sha256", "hmac-sha1",
// "hmac-sha224", "hmac-sha384", "hmac-sha512" or "hmac-md5"; "" means
// hmac-sha256) and key. An empty key disables signing: Sign returns "" and
// only an empty signature verifies.
func NewSigner(scheme string, key []byte) (*Signer, error) {
	var h func() hash.Hash
	switch scheme {
	case "hmac-sha256", "":
		scheme, h = "hmac-sha256", sha256.New
	case "hmac-sha1":
		h = sha1.New
	case "hmac-sha224":
		h = sha256.New224
	case "hmac-sha384":
		h = sha512.New384
	case "hmac-sha512":
		h = sha512.New
	case "hmac-md5":
		h = md5.New
	default:
		return nil, fmt.Errorf("unsupported signature scheme %q", scheme)
	}
	s := &Signer{scheme: scheme, key: bytes.Clone(key), hash: h}
	s.macs.New = func() any { return hmac.New(s.hash, s.key) }
	return s, nil
}

// Scheme returns the signature scheme name.
func (s *Signer) Scheme() string { return s.scheme }

// Sign returns the lowercase hex HMAC over the concatenation of the four
// serialized dicts, or "" when the key is empty.
func (s *Signer) Sign(header, parent, metadata, content []byte) string {
	if len(s.key) == 0 {
		return ""
	}
	return hex.EncodeToString(s.mac(header, parent, metadata, content))
}

func (s *Signer) mac(header, parent, metadata, content []byte) []byte {
	m := s.macs.Get().(hash.Hash)
	m.Reset()
	m.Write(header)
	m.Write(parent)
	m.Write(metadata)
	m.Write(content)
	sum := m.Sum(nil)
	s.macs.Put(m)
	return sum
}

// Verify reports whether sig is the signature of the four dicts, comparing
// in constant time. With a key set an empty signature never verifies;
// without a key only an empty signature does.
func (s *Signer) Verify(sig, header, parent, metadata, content []byte) bool {
	if len(s.key) == 0 {
		return len(sig) == 0
	}
	want := s.mac(header, parent, metadata, content)
	// Only lowercase hex is produced by Sign; accept exactly that form, so
	// that a verified signature re-encodes to the same bytes.
	if len(sig) != hex.EncodedLen(len(want)) || !isLowerHex(sig) {
		return false
	}
	got := make([]byte, len(want))
	if _, err := hex.Decode(got, sig); err != nil {
		return false
	}
	return hmac.Equal(got, want)
}

func isLowerHex(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Encode turns m into ZeroMQ frames: identities, delimiter, signature, the
// four dicts (an empty ParentHeader or Metadata is sent as {}), buffers.
// The frames share memory with m.
func (s *Signer) Encode(m *Message) [][]byte {
	parent, metadata := orEmpty(m.ParentHeader), orEmpty(m.Metadata)
	frames := make([][]byte, 0, len(m.Identities)+6+len(m.Buffers))
	frames = append(frames, m.Identities...)
	frames = append(frames,
		[]byte(Delimiter),
		[]byte(s.Sign(m.Header, parent, metadata, m.Content)),
		m.Header, parent, metadata, m.Content)
	return append(frames, m.Buffers...)
}

// Decode splits frames at the first delimiter and verifies the signature.
// It does not parse the JSON. The Message shares memory with frames; an
// empty parent header or metadata frame becomes {}.
func (s *Signer) Decode(frames [][]byte) (*Message, error) {
	i := -1
	for j, f := range frames {
		if string(f) == Delimiter {
			i = j
			break
		}
	}
	if i < 0 {
		return nil, fmt.Errorf("decode %d frames: %w", len(frames), ErrNoDelimiter)
	}
	rest := frames[i+1:]
	if len(rest) < 5 {
		return nil, fmt.Errorf("decode: %d frames after delimiter: %w", len(rest), ErrShort)
	}
	if !s.Verify(rest[0], rest[1], rest[2], rest[3], rest[4]) {
		return nil, fmt.Errorf("decode: %w", ErrBadSignature)
	}
	m := &Message{
		Header:       rest[1],
		ParentHeader: orEmpty(rest[2]),
		Metadata:     orEmpty(rest[3]),
		Content:      rest[4],
	}
	if i > 0 {
		m.Identities = frames[:i:i]
	}
	if len(rest) > 5 {
		m.Buffers = rest[5:]
	}
	return m, nil
}

func orEmpty(b []byte) []byte {
	if len(b) == 0 {
		return []byte("{}")
	}
	return b
}
