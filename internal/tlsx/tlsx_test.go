package tlsx_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"quire/internal/tlsx"
)

var fpRE = regexp.MustCompile(`^([0-9A-F]{2}:){31}[0-9A-F]{2}$`)

func leafOf(t *testing.T, cfg *tls.Config) *x509.Certificate {
	t.Helper()
	if len(cfg.Certificates) != 1 {
		t.Fatalf("%d certificates", len(cfg.Certificates))
	}
	c := cfg.Certificates[0]
	if c.Leaf != nil {
		return c.Leaf
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf
}

func checkConfig(t *testing.T, cfg *tls.Config) {
	t.Helper()
	if cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion = %x", cfg.MinVersion)
	}
	if strings.Join(cfg.NextProtos, ",") != "h2,http/1.1" {
		t.Errorf("NextProtos = %v", cfg.NextProtos)
	}
}

func TestSelfSigned(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "runtime")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	hosts := []string{"quire.example", "10.1.2.3", "[fd00::7]:8888", "quire.example"}

	cfg, fp, err := tlsx.SelfSigned(dir, hosts, now)
	if err != nil {
		t.Fatal(err)
	}
	checkConfig(t, cfg)
	if !fpRE.MatchString(fp) {
		t.Fatalf("fingerprint %q not AA:BB:… form", fp)
	}
	leaf := leafOf(t, cfg)
	if got := tlsx.Fingerprint(leaf); got != fp {
		t.Errorf("Fingerprint(leaf) = %s, SelfSigned said %s", got, fp)
	}
	for _, name := range []string{"localhost", "quire.example", "127.0.0.1", "::1", "10.1.2.3", "fd00::7"} {
		if err := leaf.VerifyHostname(name); err != nil {
			t.Errorf("certificate not valid for %s: %v", name, err)
		}
	}
	if leaf.VerifyHostname("other.example") == nil {
		t.Error("certificate valid for other.example")
	}
	if want := now.Add(365 * 24 * time.Hour); !leaf.NotAfter.Equal(want) {
		t.Errorf("NotAfter = %v, want %v", leaf.NotAfter, want)
	}
	if leaf.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("key algorithm %v", leaf.PublicKeyAlgorithm)
	}
	fi, err := os.Stat(filepath.Join(dir, tlsx.KeyName))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v, want 0600", fi.Mode().Perm())
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v (%v), want 0700", fi.Mode().Perm(), err)
	}

	for _, tc := range []struct {
		name  string
		hosts []string
		at    time.Time
		same  bool
	}{
		{"reuse next day", hosts, now.Add(24 * time.Hour), true},
		{"reuse, hosts reordered and with ports", []string{"10.1.2.3:1", "QUIRE.example", "fd00::7"}, now.Add(24 * time.Hour), true},
		{"reuse 300 days on", hosts, now.Add(300 * 24 * time.Hour), true},
		{"hosts changed", []string{"quire.example"}, now.Add(24 * time.Hour), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, fp2, err := tlsx.SelfSigned(dir, tc.hosts, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if (fp2 == fp) != tc.same {
				t.Errorf("fingerprint same = %v, want %v", fp2 == fp, tc.same)
			}
			// Put the original back for the next case.
			if _, fp3, err := tlsx.SelfSigned(dir, hosts, now); err != nil {
				t.Fatal(err)
			} else {
				fp = fp3
			}
		})
	}

	t.Run("near expiry regenerates", func(t *testing.T) {
		later := now.Add(340 * 24 * time.Hour)
		cfg2, fp2, err := tlsx.SelfSigned(dir, hosts, later)
		if err != nil {
			t.Fatal(err)
		}
		if fp2 == fp {
			t.Fatal("certificate 25 days from expiry was reused")
		}
		if got := leafOf(t, cfg2).NotAfter; !got.After(later.Add(300 * 24 * time.Hour)) {
			t.Errorf("new NotAfter %v", got)
		}
	})
	t.Run("expired regenerates", func(t *testing.T) {
		_, fpA, _ := tlsx.SelfSigned(dir, hosts, now)
		_, fpB, err := tlsx.SelfSigned(dir, hosts, now.Add(2*365*24*time.Hour))
		if err != nil || fpA == fpB {
			t.Fatalf("expired certificate reused (err %v)", err)
		}
	})
	t.Run("loosened key mode is fixed", func(t *testing.T) {
		key := filepath.Join(dir, tlsx.KeyName)
		os.Chmod(key, 0o644)
		_, fpA, _ := tlsx.SelfSigned(dir, hosts, now)
		_, fpB, err := tlsx.SelfSigned(dir, hosts, now)
		if err != nil || fpA != fpB {
			t.Fatalf("err %v, reused %v", err, fpA == fpB)
		}
		if fi, _ := os.Stat(key); fi.Mode().Perm() != 0o600 {
			t.Errorf("key mode %v", fi.Mode().Perm())
		}
	})
	t.Run("corrupt files regenerate", func(t *testing.T) {
		os.WriteFile(filepath.Join(dir, tlsx.CertName), []byte("junk"), 0o644)
		if _, _, err := tlsx.SelfSigned(dir, hosts, now); err != nil {
			t.Fatal(err)
		}
		if _, err := tlsx.LoadFiles(filepath.Join(dir, tlsx.CertName), filepath.Join(dir, tlsx.KeyName)); err != nil {
			t.Fatalf("regenerated pair does not load: %v", err)
		}
	})
}

func TestLoadFiles(t *testing.T) {
	dirA, dirB, dirOld := t.TempDir(), t.TempDir(), t.TempDir()
	now := time.Now()
	if _, _, err := tlsx.SelfSigned(dirA, nil, now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tlsx.SelfSigned(dirB, nil, now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tlsx.SelfSigned(dirOld, nil, now.Add(-2*365*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	junk := filepath.Join(t.TempDir(), "junk.pem")
	os.WriteFile(junk, []byte("hello, not a certificate\n"), 0o600)
	certA, keyA := filepath.Join(dirA, tlsx.CertName), filepath.Join(dirA, tlsx.KeyName)
	keyB := filepath.Join(dirB, tlsx.KeyName)
	missing := filepath.Join(t.TempDir(), "missing.pem")

	cfg, err := tlsx.LoadFiles(certA, keyA)
	if err != nil {
		t.Fatal(err)
	}
	checkConfig(t, cfg)

	for _, tc := range []struct {
		name, cert, key string
		want            []string
		expired         bool
	}{
		{"missing cert", missing, keyA, []string{"certificate file", missing, "not found"}, false},
		{"missing key", certA, missing, []string{"private key file", missing, "not found"}, false},
		{"cert not PEM", junk, keyA, []string{"certificate file", junk, "not PEM"}, false},
		{"key not PEM", certA, junk, []string{"private key file", junk, "not PEM"}, false},
		{"swapped", keyA, certA, []string{"certificate file", keyA, "no CERTIFICATE"}, false},
		{"key mismatch", certA, keyB, []string{keyB, "does not match", certA}, false},
		{"expired", filepath.Join(dirOld, tlsx.CertName), filepath.Join(dirOld, tlsx.KeyName), []string{"expired", "renew"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tlsx.LoadFiles(tc.cert, tc.key)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if errors.Is(err, tlsx.ErrExpired) != tc.expired {
				t.Errorf("errors.Is(err, ErrExpired) = %v", !tc.expired)
			}
		})
	}
}

func TestHandshake(t *testing.T) {
	cfg, fp, err := tlsx.SelfSigned(t.TempDir(), []string{"quire.example"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Proto)
	}))
	srv.EnableHTTP2 = true
	srv.TLS = cfg
	srv.StartTLS()
	defer srv.Close()

	roots := x509.NewCertPool()
	roots.AddCert(leafOf(t, cfg))
	for _, tc := range []struct {
		name  string
		max   uint16
		proto string
		fails bool
	}{
		{"TLS 1.3 h2", tls.VersionTLS13, "HTTP/2.0", false},
		{"TLS 1.2 h2", tls.VersionTLS12, "HTTP/2.0", false},
		{"TLS 1.1 refused", tls.VersionTLS11, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &http.Transport{
				TLSClientConfig:   &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS10, MaxVersion: tc.max},
				ForceAttemptHTTP2: true,
			}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr}).Get(srv.URL) // 127.0.0.1 is in the SANs
			if tc.fails {
				if err == nil {
					resp.Body.Close()
					t.Fatal("handshake succeeded")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if string(body) != tc.proto {
				t.Errorf("proto %q, want %q", body, tc.proto)
			}
			if got := tlsx.Fingerprint(resp.TLS.PeerCertificates[0]); got != fp {
				t.Errorf("peer fingerprint %s, want %s", got, fp)
			}
		})
	}
}
