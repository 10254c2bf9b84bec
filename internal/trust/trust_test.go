package trust_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"quire/internal/nbformat"
	"quire/internal/trust"
)

// openWithSecret opens a Notary in a fresh data dir whose secret file
// holds secret.
func openWithSecret(t testing.TB, secret string, o trust.Options) *trust.Notary {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	if secret != "" {
		if err := os.WriteFile(filepath.Join(o.DataDir, trust.SecretFile), []byte(secret), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	n, err := trust.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

func mustRead(t testing.TB, s string) *nbformat.Notebook {
	t.Helper()
	nb, err := nbformat.Read([]byte(s))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return nb
}

func hmacHex(key, stream string) string {
	h := hmac.New(sha256.New, []byte(key))
	h.Write([]byte(stream))
	return hex.EncodeToString(h.Sum(nil))
}

// The spec's vector (§6.3), computed with nbformat 5.5.
func TestSignatureVector(t *testing.T) {
	n := openWithSecret(t, "test-secret", trust.Options{})
	nb := mustRead(t, `{"cells":[{"cell_type":"code","execution_count":1,"id":"a1","metadata":{"scrolled":false},
      "outputs":[{"output_type":"execute_result","execution_count":1,"data":{"text/plain":"0.5"},"metadata":{}}],
      "source":"1/2"}],"metadata":{"x":1.0},"nbformat":4,"nbformat_minor":5}`)
	got, err := n.Signature(nb)
	if err != nil {
		t.Fatal(err)
	}
	const want = "cf187d62d815697e880c1bfb7372fe65ec97a2421d9e4ebfa8b3e95e63522180"
	if got != want {
		t.Errorf("Signature = %s, want %s", got, want)
	}
	const stream = "cellscell_typecodeexecution_count1ida1metadatascrolledFalseoutputsdatatext/plain0.5execution_count1metadataoutput_typeexecute_resultsource1/2metadatax1.0nbformat4nbformat_minor5"
	if h := hmacHex("test-secret", stream); h != want {
		t.Errorf("stream HMAC = %s, want %s", h, want)
	}
}

// Each value's stream, as Python's str() renders it.
func TestSignatureStream(t *testing.T) {
	const key = "k"
	n := openWithSecret(t, key, trust.Options{})
	num := func(s string) any { return nbformat.Number(s) }
	for _, tc := range []struct {
		name   string
		meta   any    // the notebook's metadata value
		stream string // what "metadata" is followed by in the stream
	}{
		{"float trailing zero", map[string]any{"x": num("1.50")}, "x1.5"},
		{"exponent integer", map[string]any{"x": num("1E2")}, "x100.0"},
		{"1e16", map[string]any{"x": num("1e16")}, "x1e+16"},
		{"1.5e16", map[string]any{"x": num("1.5e16")}, "x1.5e+16"},
		{"1e15", map[string]any{"x": num("1e15")}, "x1000000000000000.0"},
		{"1e-5", map[string]any{"x": num("1e-5")}, "x1e-05"},
		{"0.0001", map[string]any{"x": num("0.0001")}, "x0.0001"},
		{"negative zero float", map[string]any{"x": num("-0.0")}, "x-0.0"},
		{"negative zero int", map[string]any{"x": num("-0")}, "x0"},
		{"denormal", map[string]any{"x": num("5e-324")}, "x5e-324"},
		{"1e300", map[string]any{"x": num("1e300")}, "x1e+300"},
		{"overflow", map[string]any{"x": num("1e400"), "y": num("-1e400")}, "xinfy-inf"},
		{"non-finite", map[string]any{"a": num("NaN"), "b": num("Infinity"), "c": num("-Infinity")}, "ananbinfc-inf"},
		{"big int", map[string]any{"x": num("-123456789012345678901234567890")}, "x-123456789012345678901234567890"},
		{"beyond 2^53", map[string]any{"x": num("9007199254740993")}, "x9007199254740993"},
		{"bool and null", map[string]any{"t": true, "f": false, "n": nil}, "fFalsenNonetTrue"},
		{"Go values", map[string]any{"a": 1.0, "b": 3, "c": int64(-4), "d": 0.1}, "a1.0b3c-4d0.1"},
		{"nested list", map[string]any{"l": []any{"a", []any{num("1"), map[string]any{"z": "y", "a": "b"}}}}, "la1abzy"},
		{"code point order", map[string]any{"😀": "1", "\uff61": "2", "é": "3", "z": "4", "Z": "5", "": "6"}, "6Z5z4é3\uff612😀1"},
		{"signature left out", map[string]any{"signature": "sha256:abc", "s": "x"}, "sx"},
		{"multiline", map[string]any{"m": "a\nb\r\nc"}, "ma\nb\r\nc"},
	} {
		nb := &nbformat.Notebook{Doc: map[string]any{"cells": []any{}, "metadata": tc.meta, "nbformat": num("4"), "nbformat_minor": num("5")}}
		got, err := n.Signature(nb)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if want := hmacHex(key, "cellsmetadata"+tc.stream+"nbformat4nbformat_minor5"); got != want {
			t.Errorf("%s: signature does not hash stream %q", tc.name, tc.stream)
		}
	}
}

// Cells' metadata.trusted is transient and never part of the signature;
// the same key elsewhere is.
func TestSignatureIgnoresTrusted(t *testing.T) {
	n := openWithSecret(t, "k", trust.Options{})
	const base = `{"cells":[{"cell_type":"code","execution_count":null,"id":"a","metadata":{%s},"outputs":[],"source":""},
		{"cell_type":"markdown","id":"b","metadata":{%s},"source":"x"}],"metadata":{},"nbformat":4,"nbformat_minor":5}`
	sig := func(a, b string) string {
		nb, err := nbformat.FromJSON([]byte(strings.NewReplacer("%s", a).Replace(base)))
		if err != nil {
			t.Fatal(err)
		}
		// FromJSON keeps transient keys; put b on the markdown cell by hand.
		if b != "" {
			nb.Doc["cells"].([]any)[1].(map[string]any)["metadata"].(map[string]any)["trusted"] = true
		}
		s, err := n.Signature(nb)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	plain := sig("", "")
	if s := sig(`"trusted":true`, "x"); s != plain {
		t.Error("cell metadata.trusted changed the signature")
	}
	if s := sig(`"x":{"trusted":true}`, ""); s == plain {
		t.Error("a nested trusted key was left out")
	}
}

func TestSignatureRefusesLoneSurrogate(t *testing.T) {
	n := openWithSecret(t, "k", trust.Options{})
	nb := mustRead(t, `{"cells":[],"metadata":{"x":"\ud800"},"nbformat":4,"nbformat_minor":5}`)
	if _, err := n.Signature(nb); err == nil {
		t.Error("Signature of a lone surrogate succeeded; Python's str.encode refuses it")
	}
	if n.Trusted(nb) {
		t.Error("Trusted = true")
	}
	if err := n.Sign(nb); err == nil {
		t.Error("Sign succeeded")
	}
}

func TestSignCheckUnsign(t *testing.T) {
	n := openWithSecret(t, "", trust.Options{})
	a := mustRead(t, `{"cells":[],"metadata":{"a":1},"nbformat":4,"nbformat_minor":5}`)
	b := mustRead(t, `{"cells":[],"metadata":{"a":2},"nbformat":4,"nbformat_minor":5}`)
	if n.Trusted(a) {
		t.Fatal("unsigned notebook trusted")
	}
	for range 2 { // signing twice keeps one row
		if err := n.Sign(a); err != nil {
			t.Fatal(err)
		}
	}
	if !n.Trusted(a) || n.Trusted(b) {
		t.Fatalf("Trusted(a), Trusted(b) = %v, %v; want true, false", n.Trusted(a), n.Trusted(b))
	}
	if got := rows(t, n); got != 1 {
		t.Errorf("%d rows after signing one notebook twice, want 1", got)
	}
	if err := n.Unsign(a); err != nil {
		t.Fatal(err)
	}
	if n.Trusted(a) {
		t.Error("trusted after Unsign")
	}
}

// rows counts the signatures in n's database through a second connection.
func rows(t testing.TB, n *trust.Notary) int {
	t.Helper()
	db, err := sql.Open("sqlite", n.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var c int
	if err := db.QueryRow(`SELECT count(*) FROM nbsignatures`).Scan(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// A check within SeenGranularity of the last one writes nothing: loading a
// notebook must not cost a database commit each time.
func TestCheckRefreshesLastSeenRarely(t *testing.T) {
	n := openWithSecret(t, "", trust.Options{})
	clock := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	trust.SetClock(n, func() time.Time { return clock })
	nb := mustRead(t, `{"cells":[],"metadata":{"x":1},"nbformat":4,"nbformat_minor":5}`)
	if err := n.Sign(nb); err != nil {
		t.Fatal(err)
	}
	seen := func() string {
		db, err := sql.Open("sqlite", n.DatabasePath())
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var v string
		if err := db.QueryRow(`SELECT CAST(last_seen AS TEXT) FROM nbsignatures`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	first := seen()
	clock = clock.Add(trust.SeenGranularity / 2)
	if !n.Trusted(nb) || seen() != first {
		t.Fatalf("a check within the granularity rewrote last_seen: %s -> %s", first, seen())
	}
	clock = clock.Add(trust.SeenGranularity)
	if !n.Trusted(nb) || seen() == first {
		t.Fatalf("a check after the granularity did not refresh last_seen (%s)", seen())
	}
}

// Past CacheSize, only the 75 % most recently seen signatures stay.
func TestPrune(t *testing.T) {
	n := openWithSecret(t, "", trust.Options{CacheSize: 8})
	// An hour per call: a check refreshes last_seen only when it is older
	// than trust.SeenGranularity.
	clock := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	trust.SetClock(n, func() time.Time { clock = clock.Add(trust.SeenGranularity); return clock })
	nbs := make([]*nbformat.Notebook, 9)
	for i := range nbs {
		nbs[i] = mustRead(t, `{"cells":[],"metadata":{"i":`+string(rune('0'+i))+`},"nbformat":4,"nbformat_minor":5}`)
	}
	for i := range 8 {
		if err := n.Sign(nbs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if !n.Trusted(nbs[0]) { // seen again: now the most recent
		t.Fatal("first notebook not trusted before culling")
	}
	if got := rows(t, n); got != 8 {
		t.Fatalf("%d rows, want 8 (no cull at CacheSize)", got)
	}
	if err := n.Sign(nbs[8]); err != nil {
		t.Fatal(err)
	}
	if got := rows(t, n); got != 6 {
		t.Fatalf("%d rows after exceeding CacheSize 8, want 6", got)
	}
	// Kept: 0 (re-seen), 8 and the four most recent of 1..7 (4..7).
	for i, want := range []bool{true, false, false, false, true, true, true, true, true} {
		if got := n.Trusted(nbs[i]); got != want {
			t.Errorf("notebook %d trusted = %v, want %v", i, got, want)
		}
	}
}

func TestSecretFile(t *testing.T) {
	dir := t.TempDir()
	n1, err := trust.Open(trust.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer n1.Close()
	fi, err := os.Stat(filepath.Join(dir, trust.SecretFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("secret mode %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(filepath.Join(dir, trust.SecretFile))
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 18 || len(lines[0]) != 76 || !strings.HasSuffix(string(data), "\n") {
		t.Errorf("secret is not base64.encodebytes of 1024 bytes: %d lines", len(lines))
	}
	nb := mustRead(t, `{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`)
	if err := n1.Sign(nb); err != nil {
		t.Fatal(err)
	}
	// A second Notary reuses the secret (and database).
	n2, err := trust.Open(trust.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Close()
	if !n2.Trusted(nb) {
		t.Error("second Notary does not trust what the first signed")
	}
	again, _ := os.ReadFile(filepath.Join(dir, trust.SecretFile))
	if string(again) != string(data) {
		t.Error("secret rewritten")
	}
}

func TestReset(t *testing.T) {
	dir := t.TempDir()
	n1 := openWithSecret(t, "", trust.Options{DataDir: dir})
	n2 := openWithSecret(t, "", trust.Options{DataDir: dir})
	nb := mustRead(t, `{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`)
	before, _ := n1.Signature(nb)
	if err := n1.Sign(nb); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(n1.SecretPath())
	if err := n1.Reset(); err != nil {
		t.Fatal(err)
	}
	if n1.Trusted(nb) || n2.Trusted(nb) {
		t.Error("trusted after Reset")
	}
	now, _ := os.ReadFile(n1.SecretPath())
	if string(now) == string(old) {
		t.Error("Reset kept the secret")
	}
	if fi, _ := os.Stat(n1.SecretPath()); fi.Mode().Perm() != 0o600 {
		t.Errorf("secret mode %v after Reset", fi.Mode().Perm())
	}
	s1, _ := n1.Signature(nb)
	s2, _ := n2.Signature(nb) // the other Notary follows the new secret
	if s1 == before || s1 != s2 {
		t.Error("signatures do not follow the new secret")
	}
	if err := n2.Sign(nb); err != nil {
		t.Fatal(err)
	}
	if !n1.Trusted(nb) {
		t.Error("not trusted after signing with the new secret")
	}
}

// A database removed behind the Notary's back (jupyter trust --reset) is
// recreated on the next call; a corrupt one is moved aside.
func TestDatabaseReplacedOrCorrupt(t *testing.T) {
	dir := t.TempDir()
	n := openWithSecret(t, "k", trust.Options{DataDir: dir})
	nb := mustRead(t, `{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`)
	if err := n.Sign(nb); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(n.DatabasePath()); err != nil {
		t.Fatal(err)
	}
	if n.Trusted(nb) {
		t.Error("trusted after the database was deleted")
	}
	if err := n.Sign(nb); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(n.DatabasePath()); err != nil {
		t.Errorf("database not recreated: %v", err)
	}

	dir2 := t.TempDir()
	junk := strings.Repeat("not a database ", 100)
	if err := os.WriteFile(filepath.Join(dir2, trust.DatabaseFile), []byte(junk), 0o600); err != nil {
		t.Fatal(err)
	}
	n2 := openWithSecret(t, "k", trust.Options{DataDir: dir2})
	if err := n2.Sign(nb); err != nil {
		t.Fatal(err)
	}
	if !n2.Trusted(nb) {
		t.Error("not trusted in the replacement database")
	}
	if bak, err := os.ReadFile(filepath.Join(dir2, trust.DatabaseFile+".bak")); err != nil || string(bak) != junk {
		t.Errorf("corrupt database not kept as .bak: %v", err)
	}
}

func TestOldFormatsNeverTrusted(t *testing.T) {
	n := openWithSecret(t, "k", trust.Options{})
	nb := &nbformat.Notebook{Doc: map[string]any{"nbformat": nbformat.Number("2"), "metadata": map[string]any{}}}
	if err := n.Sign(nb); err != nil {
		t.Fatal(err)
	}
	if n.Trusted(nb) {
		t.Error("nbformat 2 notebook trusted")
	}
}

// Many goroutines signing and checking through one Notary, and a second
// Notary on the same files, never see an error or a wrong verdict.
func TestConcurrentUse(t *testing.T) {
	dir := t.TempDir()
	n1 := openWithSecret(t, "", trust.Options{DataDir: dir})
	n2 := openWithSecret(t, "", trust.Options{DataDir: dir})
	var wg sync.WaitGroup
	for i := range 8 {
		n := n1
		if i%2 == 1 {
			n = n2
		}
		wg.Go(func() {
			for j := range 10 {
				nb := mustRead(t, fmt.Sprintf(`{"cells":[],"metadata":{"g":%d,"j":%d},"nbformat":4,"nbformat_minor":5}`, i, j))
				if err := n.Sign(nb); err != nil {
					t.Error(err)
					return
				}
				if !n1.Trusted(nb) || !n2.Trusted(nb) {
					t.Errorf("notebook %d/%d not trusted after Sign", i, j)
				}
			}
		})
	}
	wg.Wait()
	if got := rows(t, n1); got != 80 {
		t.Errorf("%d rows, want 80", got)
	}
}

// The signature database's page cache is bounded below SQLite's 2 MiB
// default, also after the database is reopened because its file was
// replaced.
func TestPageCacheBounded(t *testing.T) {
	n := openWithSecret(t, "", trust.Options{})
	check := func(when string) {
		t.Helper()
		v, err := trust.PageCacheKiB(n)
		if err != nil {
			t.Fatal(err)
		}
		if v != -256 {
			t.Errorf("%s: PRAGMA cache_size = %d, want -256 (256 KiB)", when, v)
		}
	}
	check("opened")
	if err := os.Remove(n.DatabasePath()); err != nil {
		t.Fatal(err)
	}
	check("reopened")
}
