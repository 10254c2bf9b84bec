package tlsx

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/acme/autocert"

	"quire/internal/safefile"
)

func TestCache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	if err := safefile.MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	c := &cache{dir: dir, names: map[string]bool{"notebook.example.org": true}, log: slog.New(slog.NewTextHandler(&log, nil))}
	ctx := context.Background()

	if _, err := c.Get(ctx, "notebook.example.org"); !errors.Is(err, autocert.ErrCacheMiss) {
		t.Fatalf("Get of a missing key: %v, want ErrCacheMiss", err)
	}
	for _, key := range []string{"", ".", "..", "../x", "a/b", `a\b`, "a\x00b"} {
		if err := c.Put(ctx, key, []byte("x")); err == nil {
			t.Errorf("Put(%q) accepted", key)
		}
		if _, err := c.Get(ctx, key); err == nil || errors.Is(err, autocert.ErrCacheMiss) {
			t.Errorf("Get(%q): %v, want a refusal", key, err)
		}
	}

	// The account key: stored 0600, read back, not logged as a certificate.
	if err := c.Put(ctx, "acme_account+key", []byte("key")); err != nil {
		t.Fatal(err)
	}
	if b, err := c.Get(ctx, "acme_account+key"); err != nil || string(b) != "key" {
		t.Fatalf("Get: %q %v", b, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "acme_account+key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if log.Len() != 0 {
		t.Errorf("account key logged: %s", log.String())
	}

	// A certificate of a configured name is logged with serial and expiry,
	// never with its key.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	notAfter := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(0xabc), NotBefore: notAfter.Add(-time.Hour), NotAfter: notAfter, DNSNames: []string{"notebook.example.org"}}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	kb, _ := x509.MarshalECPrivateKey(key)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	entry := append(keyPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	if err := c.Put(ctx, "notebook.example.org", entry); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"new certificate", "domain=notebook.example.org", "serial=abc", "not_after=2030-01-02T03:04:05Z"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q: %s", want, log.String())
		}
	}
	if strings.Contains(log.String(), "PRIVATE") {
		t.Error("the key was logged")
	}

	if err := c.Delete(ctx, "notebook.example.org"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, "notebook.example.org"); err != nil {
		t.Errorf("Delete of a missing key: %v", err)
	}
	if _, err := c.Get(ctx, "notebook.example.org"); !errors.Is(err, autocert.ErrCacheMiss) {
		t.Errorf("Get after Delete: %v", err)
	}
}

func TestDecodeHMAC(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"c2VjcmV0", "secret", true},             // base64url, unpadded
		{"c2VjcmV0LWtleQ==", "secret-key", true}, // padded
		{"_-8", "\xff\xef", true},                // URL alphabet
		{"/+8=", "\xff\xef", true},               // standard alphabet
		{" c2VjcmV0\n", "secret", true},          // pasted with whitespace
		{"", "", false},
		{"not base64!", "", false},
	} {
		got, err := decodeHMAC(tc.in)
		if (err == nil) != tc.ok || string(got) != tc.want {
			t.Errorf("decodeHMAC(%q) = %q, %v; want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestCADirName(t *testing.T) {
	for _, tc := range []struct{ url, prefix string }{
		{"https://acme-v02.api.letsencrypt.org/directory", "acme-v02.api.letsencrypt.org-"},
		{"https://127.0.0.1:14000/dir", "127.0.0.1-"},
		{"https://[::1]:14000/dir", "__1-"},
		{"https://CA.Example/x", "ca.example-"},
		{"::not a url", "ca-"},
	} {
		got := caDirName(tc.url)
		if !strings.HasPrefix(got, tc.prefix) || len(got) != len(tc.prefix)+8 || strings.ContainsAny(got, "/\\:") {
			t.Errorf("caDirName(%q) = %q, want %s + 8 hex digits", tc.url, got, tc.prefix)
		}
	}
	if caDirName("https://ca.example/a") == caDirName("https://ca.example/b") {
		t.Error("two directories of one host share a cache")
	}
}
