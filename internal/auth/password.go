package auth

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/blake2s"
)

// Parameters of the hashes HashPassword makes: those of jupyter_server's
// passwd(), so either side verifies the other's hashes.
const (
	hashMemory  = 10240 // KiB
	hashTime    = 10
	hashThreads = 8
	hashKeyLen  = 32
	hashSaltLen = 16
)

// Bounds on the argon2 parameters a configured hash may ask for. A hash
// string comes from configuration, which may be hostile or simply wrong; one
// check with m=4 GiB or t=10⁶ would take the server down. The bounds admit
// passwd()'s parameters (10 MiB, t=10) and argon2-cffi's defaults (100 MiB,
// t=2, or 64 MiB, t=3 in newer releases) with room to spare.
const (
	maxMemory     = 256 * 1024 // KiB per check
	maxTime       = 64
	maxWork       = 2 << 20 // m·t, KiB-passes: 2 GiB of memory traffic per check
	maxThreads    = 64
	minKeyLen     = 4
	maxKeyLen     = 128
	minSaltLen    = 8
	maxSaltLen    = 64
	maxHashString = 1024
)

// errMalformed is wrapped by every parse error of a hash string.
var errMalformed = errors.New("malformed password hash")

// HashPassword hashes pw in jupyter_server's current format:
// argon2:$argon2id$v=19$m=10240,t=10,p=8$<salt>$<hash>, salt 16 random bytes,
// hash 32 bytes, both standard base64 without padding.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, hashSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, hashTime, hashMemory, hashThreads, hashKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("argon2:$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s",
		hashMemory, hashTime, hashThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches hash, which is either
// "argon2:<PHC string>" (argon2i or argon2id, parameters taken from the
// string within fixed bounds) or the legacy "<hashlib name>:<salt>:<hex>"
// with digest = H(utf8(pw) || salt). The comparison is constant-time. A
// malformed or unsupported hash is an error, never a match.
func CheckPassword(hash, pw string) (bool, error) {
	v, err := parseHash(hash)
	if err != nil {
		return false, err
	}
	return v.verify(pw), nil
}

// ValidateHash reports whether hash is a password hash CheckPassword can
// verify, without running it. Use it when loading configuration.
func ValidateHash(hash string) error {
	_, err := parseHash(hash)
	return err
}

// verifier is a parsed hash.
type verifier interface {
	verify(pw string) bool
}

func parseHash(h string) (verifier, error) {
	if h == "" {
		return nil, fmt.Errorf("%w: empty", errMalformed)
	}
	if len(h) > maxHashString {
		return nil, fmt.Errorf("%w: longer than %d bytes", errMalformed, maxHashString)
	}
	if phc, ok := strings.CutPrefix(h, "argon2:"); ok {
		return parseArgon2(phc)
	}
	return parseLegacy(h)
}

type argon2Hash struct {
	id           bool // argon2id, else argon2i
	memory, time uint32
	threads      uint8
	salt, want   []byte
}

func (a *argon2Hash) verify(pw string) bool {
	var got []byte
	n := uint32(len(a.want))
	if a.id {
		got = argon2.IDKey([]byte(pw), a.salt, a.time, a.memory, a.threads, n)
	} else {
		got = argon2.Key([]byte(pw), a.salt, a.time, a.memory, a.threads, n)
	}
	return subtle.ConstantTimeCompare(got, a.want) == 1
}

// parseArgon2 parses a PHC string: $argon2id$v=19$m=M,t=T,p=P$salt$hash.
func parseArgon2(s string) (verifier, error) {
	f := strings.Split(s, "$")
	if len(f) != 6 || f[0] != "" {
		return nil, fmt.Errorf("%w: argon2 hash must look like argon2:$argon2id$v=19$m=…,t=…,p=…$salt$hash", errMalformed)
	}
	var a argon2Hash
	switch f[1] {
	case "argon2id":
		a.id = true
	case "argon2i":
	case "argon2d":
		return nil, fmt.Errorf("%w: argon2d hashes are not supported; hash the password again (argon2id)", errMalformed)
	default:
		return nil, fmt.Errorf("%w: unknown argon2 variant %q", errMalformed, f[1])
	}
	if f[2] != "v=19" {
		return nil, fmt.Errorf("%w: argon2 version %q is not supported (only v=19)", errMalformed, f[2])
	}
	params := strings.Split(f[3], ",")
	if len(params) != 3 {
		return nil, fmt.Errorf("%w: argon2 parameters must be m=…,t=…,p=…", errMalformed)
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(params[i], name+"=")
		if !ok {
			return nil, fmt.Errorf("%w: argon2 parameter %d must be %s=…", errMalformed, i+1, name)
		}
		n, err := parseDecimal(v)
		if err != nil {
			return nil, fmt.Errorf("%w: argon2 parameter %s: %v", errMalformed, name, err)
		}
		vals[i] = n
	}
	m, t, p := vals[0], vals[1], vals[2]
	switch {
	case p < 1 || p > maxThreads:
		return nil, fmt.Errorf("%w: argon2 parallelism p=%d outside 1..%d", errMalformed, p, maxThreads)
	case t < 1 || t > maxTime:
		return nil, fmt.Errorf("%w: argon2 time cost t=%d outside 1..%d", errMalformed, t, maxTime)
	case m < 8*p || m > maxMemory:
		return nil, fmt.Errorf("%w: argon2 memory m=%d KiB outside %d..%d", errMalformed, m, 8*p, maxMemory)
	case m*t > maxWork:
		return nil, fmt.Errorf("%w: argon2 cost m·t=%d exceeds %d", errMalformed, m*t, maxWork)
	}
	a.memory, a.time, a.threads = uint32(m), uint32(t), uint8(p)
	var err error
	if a.salt, err = decodeB64(f[4]); err != nil {
		return nil, fmt.Errorf("%w: argon2 salt: %v", errMalformed, err)
	}
	if a.want, err = decodeB64(f[5]); err != nil {
		return nil, fmt.Errorf("%w: argon2 hash: %v", errMalformed, err)
	}
	if len(a.salt) < minSaltLen || len(a.salt) > maxSaltLen {
		return nil, fmt.Errorf("%w: argon2 salt of %d bytes outside %d..%d", errMalformed, len(a.salt), minSaltLen, maxSaltLen)
	}
	if len(a.want) < minKeyLen || len(a.want) > maxKeyLen {
		return nil, fmt.Errorf("%w: argon2 hash of %d bytes outside %d..%d", errMalformed, len(a.want), minKeyLen, maxKeyLen)
	}
	return &a, nil
}

// parseDecimal accepts plain decimal digits only (no sign, no spaces).
func parseDecimal(s string) (uint64, error) {
	if s == "" || len(s) > 10 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a small decimal number", s)
	}
	return strconv.ParseUint(s, 10, 64)
}

// decodeB64 decodes standard base64 with or without padding, as PHC strings
// use it.
func decodeB64(s string) ([]byte, error) {
	return base64.RawStdEncoding.Strict().DecodeString(strings.TrimRight(s, "="))
}

// legacyAlgorithm returns a constructor for the hashlib algorithm name, or
// nil when Go cannot compute it.
func legacyAlgorithm(name string) func() hash.Hash {
	switch strings.ToLower(name) {
	case "md5":
		return md5.New
	case "sha1":
		return sha1.New
	case "sha224":
		return sha256.New224
	case "sha256":
		return sha256.New
	case "sha384":
		return sha512.New384
	case "sha512":
		return sha512.New
	case "sha512_224":
		return sha512.New512_224
	case "sha512_256":
		return sha512.New512_256
	case "sha3_224":
		return func() hash.Hash { return sha3.New224() }
	case "sha3_256":
		return func() hash.Hash { return sha3.New256() }
	case "sha3_384":
		return func() hash.Hash { return sha3.New384() }
	case "sha3_512":
		return func() hash.Hash { return sha3.New512() }
	case "blake2b":
		return func() hash.Hash { h, _ := blake2b.New512(nil); return h }
	case "blake2s":
		return func() hash.Hash { h, _ := blake2s.New256(nil); return h }
	}
	return nil
}

type legacyHash struct {
	newHash func() hash.Hash
	salt    string
	want    string // lowercase hex, as hexdigest() prints it
}

func (l *legacyHash) verify(pw string) bool {
	h := l.newHash()
	h.Write([]byte(pw))
	h.Write([]byte(l.salt))
	got := hex.EncodeToString(h.Sum(nil))
	return subtle.ConstantTimeCompare([]byte(got), []byte(l.want)) == 1
}

// parseLegacy parses "<algorithm>:<salt>:<hexdigest>".
func parseLegacy(s string) (verifier, error) {
	alg, rest, ok1 := strings.Cut(s, ":")
	salt, digest, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%w: expected argon2:… or <algorithm>:<salt>:<hex digest>", errMalformed)
	}
	newHash := legacyAlgorithm(alg)
	if newHash == nil {
		return nil, fmt.Errorf("%w: unsupported hash algorithm %q", errMalformed, alg)
	}
	for i := 0; i < len(salt); i++ {
		if salt[i] >= 0x80 {
			return nil, fmt.Errorf("%w: salt is not ASCII", errMalformed)
		}
	}
	size := newHash().Size()
	if len(digest) != 2*size || strings.Trim(digest, "0123456789abcdef") != "" {
		return nil, fmt.Errorf("%w: %s digest must be %d lowercase hex characters", errMalformed, alg, 2*size)
	}
	return &legacyHash{newHash: newHash, salt: salt, want: digest}, nil
}
