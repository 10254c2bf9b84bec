package auth_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"quire/internal/auth"
)

const sha1Vector = "sha1:0e112c3ddfce:a68df677475c2b47b6e86d0467eec97ac5f4b85a" // = "mypassword"

func TestCheckPassword(t *testing.T) {
	sum := sha256.Sum256([]byte("pw" + "NaCl"))
	sha256Hash := "sha256:NaCl:" + hex.EncodeToString(sum[:])
	for _, tc := range []struct {
		name, hash, pw string
		want           bool
	}{
		{"sha1 vector", sha1Vector, "mypassword", true},
		{"sha1 wrong", sha1Vector, "mypassword2", false},
		{"sha1 empty", sha1Vector, "", false},
		{"sha1 upper-case name", "SHA1" + sha1Vector[4:], "mypassword", true},
		{"sha256", sha256Hash, "pw", true},
		{"sha256 wrong", sha256Hash, "pW", false},
		// Made by argon2-cffi 21.1 with small parameters.
		{"argon2i", "argon2:$argon2i$v=19$m=64,t=2,p=2$rxtCZRW3cV4$JQFBulZNwdrJvCaYwGTCOA", "hunter2", true},
		{"argon2i wrong", "argon2:$argon2i$v=19$m=64,t=2,p=2$rxtCZRW3cV4$JQFBulZNwdrJvCaYwGTCOA", "hunter3", false},
		{"argon2id", "argon2:$argon2id$v=19$m=64,t=2,p=2$i+uNm7SY8Ms$e4dqsqK6LLSuBa+/HQqk+w", "hunter2", true},
		{"argon2id wrong", "argon2:$argon2id$v=19$m=64,t=2,p=2$i+uNm7SY8Ms$e4dqsqK6LLSuBa+/HQqk+w", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := auth.CheckPassword(tc.hash, tc.pw)
			if err != nil || got != tc.want {
				t.Errorf("CheckPassword(%q, %q) = %v, %v; want %v", tc.hash, tc.pw, got, err, tc.want)
			}
			if err := auth.ValidateHash(tc.hash); err != nil {
				t.Errorf("ValidateHash(%q) = %v", tc.hash, err)
			}
		})
	}
}

func TestHashPassword(t *testing.T) {
	h, err := auth.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	format := regexp.MustCompile(`^argon2:\$argon2id\$v=19\$m=10240,t=10,p=8\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !format.MatchString(h) {
		t.Fatalf("HashPassword = %q, not in passwd()'s format", h)
	}
	for pw, want := range map[string]bool{"correct horse": true, "correct horse ": false} {
		if ok, err := auth.CheckPassword(h, pw); ok != want || err != nil {
			t.Errorf("CheckPassword(own hash, %q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	if h2, _ := auth.HashPassword("correct horse"); h2 == h {
		t.Error("two hashes of one password are equal: salt not random")
	}
}

func TestMalformedHashes(t *testing.T) {
	const salt, key = "rxtCZRW3cV4", "JQFBulZNwdrJvCaYwGTCOA"
	a2 := func(variant, v, params string) string {
		return "argon2:$" + variant + "$" + v + "$" + params + "$" + salt + "$" + key
	}
	for _, tc := range []struct{ name, hash string }{
		{"empty", ""},
		{"bare name", "sha1"},
		{"no digest", "sha1:salt"},
		{"unknown algorithm", "nohash:salt:abcd"},
		{"not hex", "sha1:0e112c3ddfce:zz8df677475c2b47b6e86d0467eec97ac5f4b85a"},
		{"upper-case hex", "sha1:0e112c3ddfce:A68DF677475C2B47B6E86D0467EEC97AC5F4B85A"},
		{"short digest", "sha1:0e112c3ddfce:a68df677"},
		{"empty digest", "sha1:0e112c3ddfce:"},
		{"non-ascii salt", "sha1:sälz:a68df677475c2b47b6e86d0467eec97ac5f4b85a"},
		{"argon2 no fields", "argon2:"},
		{"argon2 missing hash", "argon2:$argon2id$v=19$m=64,t=2,p=2$" + salt},
		{"argon2d", a2("argon2d", "v=19", "m=64,t=2,p=2")},
		{"argon2 unknown variant", a2("argon2x", "v=19", "m=64,t=2,p=2")},
		{"argon2 v=16", a2("argon2id", "v=16", "m=64,t=2,p=2")},
		{"huge memory", a2("argon2id", "v=19", "m=4194304,t=1,p=1")},
		{"huge time", a2("argon2id", "v=19", "m=64,t=1000000,p=1")},
		{"huge work", a2("argon2id", "v=19", "m=262144,t=64,p=1")},
		{"huge parallelism", a2("argon2id", "v=19", "m=65536,t=1,p=255")},
		{"zero parallelism", a2("argon2id", "v=19", "m=64,t=2,p=0")},
		{"zero time", a2("argon2id", "v=19", "m=64,t=0,p=1")},
		{"memory below 8p", a2("argon2id", "v=19", "m=8,t=2,p=2")},
		{"params reordered", a2("argon2id", "v=19", "t=2,m=64,p=2")},
		{"extra param", a2("argon2id", "v=19", "m=64,t=2,p=2,data=abc")},
		{"signed param", a2("argon2id", "v=19", "m=+64,t=2,p=2")},
		{"overflowing param", a2("argon2id", "v=19", "m=99999999999999999999,t=2,p=2")},
		{"bad salt", "argon2:$argon2id$v=19$m=64,t=2,p=2$!!!$" + key},
		{"short salt", "argon2:$argon2id$v=19$m=64,t=2,p=2$AAAA$" + key},
		{"short hash", "argon2:$argon2id$v=19$m=64,t=2,p=2$" + salt + "$AAA"},
		{"too long", "sha1:" + strings.Repeat("s", 2000) + ":a68df677475c2b47b6e86d0467eec97ac5f4b85a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := auth.ValidateHash(tc.hash); err == nil {
				t.Errorf("ValidateHash(%q) = nil, want an error", tc.hash)
			}
			if ok, err := auth.CheckPassword(tc.hash, "hunter2"); ok || err == nil {
				t.Errorf("CheckPassword(%q) = %v, %v; want false and an error", tc.hash, ok, err)
			}
		})
	}
}

// TestPythonInterop checks both directions against jupyter_server's own
// passwd() and passwd_check() (Debian python3-jupyter-server).
func TestPythonInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "from jupyter_server.auth.security import passwd, passwd_check; import argon2").Run(); err != nil {
		t.Skip("python3 with jupyter_server and argon2-cffi not available")
	}
	const pw = "pässword with spaces"
	out, err := exec.Command(py, "-c", "import sys; from jupyter_server.auth.security import passwd; print(passwd(sys.argv[1]))", pw).Output()
	if err != nil {
		t.Fatal(err)
	}
	pyHash := strings.TrimSpace(string(out))
	if ok, err := auth.CheckPassword(pyHash, pw); !ok || err != nil {
		t.Errorf("CheckPassword(python hash %q) = %v, %v", pyHash, ok, err)
	}
	if ok, _ := auth.CheckPassword(pyHash, pw+"x"); ok {
		t.Errorf("python hash accepts a wrong password")
	}
	goHash, err := auth.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	check := "import sys; from jupyter_server.auth.security import passwd_check; print(passwd_check(sys.argv[1], sys.argv[2]))"
	for p, want := range map[string]bool{pw: true, pw + "x": false} {
		out, err := exec.Command(py, "-c", check, goHash, p).Output()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(out)); got != map[bool]string{true: "True", false: "False"}[want] {
			t.Errorf("passwd_check(go hash, %q) = %s, want %v", p, got, want)
		}
	}
}

var argon2Params = regexp.MustCompile(`^argon2:\$argon2i?d?\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$`)

// FuzzValidateHash: whatever the string, a hash ValidateHash accepts can be
// checked without error, and an accepted argon2 hash stays within the
// resource bounds (256 MiB, t ≤ 64, p ≤ 64).
func FuzzValidateHash(f *testing.F) {
	f.Add(sha1Vector)
	f.Add("argon2:$argon2id$v=19$m=64,t=2,p=2$i+uNm7SY8Ms$e4dqsqK6LLSuBa+/HQqk+w")
	f.Add("argon2:$argon2id$v=19$m=4194304,t=1,p=1$i+uNm7SY8Ms$e4dqsqK6LLSuBa+/HQqk+w")
	f.Add("md5::d41d8cd98f00b204e9800998ecf8427e")
	f.Fuzz(func(t *testing.T, h string) {
		if auth.ValidateHash(h) != nil {
			return
		}
		if m := argon2Params.FindStringSubmatch(h); m != nil {
			mem, _ := strconv.Atoi(m[1])
			tm, _ := strconv.Atoi(m[2])
			p, _ := strconv.Atoi(m[3])
			if mem > 256*1024 || tm > 64 || p > 64 || mem*tm > 2<<20 {
				t.Fatalf("ValidateHash accepted costly parameters: %q", h)
			}
			if mem*tm > 4096 {
				return // valid but too slow to run under the fuzzer
			}
		} else if strings.HasPrefix(h, "argon2:") {
			t.Fatalf("ValidateHash accepted an argon2 hash of unknown shape: %q", h)
		}
		if _, err := auth.CheckPassword(h, "pw"); err != nil {
			t.Fatalf("ValidateHash(%q) = nil but CheckPassword fails: %v", h, err)
		}
	})
}
