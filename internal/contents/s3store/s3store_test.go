package s3store_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/credentials"

	"quire/internal/contents"
	"quire/internal/contents/s3store"
	"quire/internal/contents/storetest"
	"quire/internal/errkind"
	"quire/internal/s3gw"
)

// gateway starts a versitygw for the test (skipped without the binary,
// unless make test requires it).
func gateway(t *testing.T) *s3gw.Gateway {
	t.Helper()
	if testing.Short() {
		t.Skip("starts an S3 gateway")
	}
	bin := s3gw.Binary()
	if bin == "" {
		if s3gw.Required() {
			t.Fatal("versitygw not found (QUIRE_TEST_VERSITYGW or .tools/versitygw): `make test` installs it")
		}
		t.Skip("versitygw not installed (make test installs it at .tools/versitygw)")
	}
	dir := t.TempDir()
	g, err := s3gw.Start(context.Background(), bin, filepath.Join(dir, "s3"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Stop)
	return g
}

var buckets atomic.Int64

// newStore makes a bucket on g and a store on it under prefix.
func newStore(t *testing.T, g *s3gw.Gateway, prefix string, probe bool) *s3store.Store {
	return newStoreOpt(t, g, prefix, probe, false)
}

func newStoreOpt(t *testing.T, g *s3gw.Gateway, prefix string, probe, noCond bool) *s3store.Store {
	t.Helper()
	bucket := fmt.Sprintf("quire-test-%d", buckets.Add(1))
	if err := g.MakeBucket(bucket); err != nil {
		t.Fatal(err)
	}
	s, err := s3store.New(s3store.Options{
		Bucket: bucket, Prefix: prefix, Endpoint: g.Endpoint(), PathStyle: true, Region: "us-east-1",
		Creds: credentials.NewStaticV4(g.Access, g.Secret, ""), Timeout: 10 * time.Second,
		NoConditional: noCond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if probe {
		cond, err := s.Probe(context.Background())
		if err != nil {
			t.Fatalf("Probe: %v", err)
		}
		if !cond {
			t.Log("the gateway ignores conditional PUTs: compare-then-write")
		}
	}
	return s
}

func TestConformance(t *testing.T) {
	g := gateway(t)
	for _, prefix := range []string{"", "team/alice"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) contents.Store { return newStore(t, g, prefix, true) })
		})
	}
	// A service that ignores conditional PUTs: the compare-then-write
	// fallback passes the same cases.
	t.Run("fallback", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) contents.Store { return newStoreOpt(t, g, "", false, true) })
	})
}

func TestProbeFindsConditionalWrites(t *testing.T) {
	g := gateway(t)
	s := newStore(t, g, "", false)
	if _, ok := s.Conditional(); ok {
		t.Fatal("Conditional known before Probe")
	}
	cond, err := s.Probe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !cond {
		t.Error("versitygw v1.8.0 honours If-None-Match on PUT; Probe said it does not")
	}
	// The probe leaves nothing behind.
	if entries, err := s.List(context.Background(), ""); err != nil || len(entries) != 0 {
		t.Errorf("root after Probe = %+v, %v", entries, err)
	}
}

func TestClientErrors(t *testing.T) {
	g := gateway(t)
	ctx := context.Background()
	good := newStore(t, g, "", true)
	for _, tc := range []struct {
		name  string
		opt   s3store.Options
		kind  errkind.Kind
		words []string
	}{
		{"wrong secret", s3store.Options{Bucket: good.Bucket(), Creds: credentials.NewStaticV4(g.Access, "wrong", "")}, errkind.Upstream, []string{good.Bucket(), "refused"}},
		{"unknown key", s3store.Options{Bucket: good.Bucket(), Creds: credentials.NewStaticV4("nobody", "wrong", "")}, errkind.Upstream, []string{good.Bucket()}},
		{"no bucket", s3store.Options{Bucket: "no-such-bucket", Creds: credentials.NewStaticV4(g.Access, g.Secret, "")}, errkind.Upstream, []string{"no-such-bucket"}},
		{"unreachable", s3store.Options{Bucket: good.Bucket(), Endpoint: "http://127.0.0.1:1", Creds: credentials.NewStaticV4(g.Access, g.Secret, "")}, errkind.Retry, []string{good.Bucket(), "unreachable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := tc.opt
			if opt.Endpoint == "" {
				opt.Endpoint = g.Endpoint()
			}
			opt.PathStyle, opt.Region, opt.Retries, opt.Timeout = true, "us-east-1", -1, 5*time.Second
			s, err := s3store.New(opt)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Probe(ctx)
			check := func(what string, err error) {
				t.Helper()
				if errkind.Of(err) != tc.kind {
					t.Errorf("%s: err = %v (kind %v), want %v", what, err, errkind.Of(err), tc.kind)
				}
				msg, _ := errkind.Message(err)
				for _, w := range tc.words {
					if !strings.Contains(msg, w) {
						t.Errorf("%s: message %q does not name %q", what, msg, w)
					}
				}
				if strings.Contains(msg, g.Secret) || strings.Contains(msg, "wrong") {
					t.Errorf("%s: message %q holds a credential", what, msg)
				}
			}
			check("Probe", err)
			_, err = s.Write(ctx, "a.txt", strings.NewReader("x"))
			check("Write", err)
			_, err = s.List(ctx, "")
			check("List", err)
		})
	}
}

// TestGatewayStoppedMidSave: a save that fails because the gateway went
// away leaves the old object whole, and it reads back once the gateway is
// there again.
func TestGatewayStoppedMidSave(t *testing.T) {
	g := gateway(t)
	ctx := context.Background()
	s := newStore(t, g, "", true)
	if _, err := s.Write(ctx, "nb.ipynb", strings.NewReader("old notebook")); err != nil {
		t.Fatal(err)
	}
	r := &stopper{g: g, n: 3 << 20}
	_, err := s.Write(ctx, "nb.ipynb", r)
	if err == nil {
		t.Fatal("Write succeeded with the gateway stopped")
	}
	if k := errkind.Of(err); k != errkind.Retry && k != errkind.Upstream {
		t.Errorf("Write with the gateway stopped: kind %v (%v), want retry or upstream", k, err)
	}
	if err := g.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	f, _, err := s.Open(ctx, "nb.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 100)
	n, _ := f.Read(b)
	if string(b[:n]) != "old notebook" {
		t.Errorf("after the failed save: %q", b[:n])
	}
}

// stopper yields n bytes, stopping the gateway halfway through.
type stopper struct {
	g       *s3gw.Gateway
	n, sent int
	stopped bool
}

func (r *stopper) Read(p []byte) (int, error) {
	if r.sent >= r.n {
		return 0, io.EOF
	}
	if !r.stopped && r.sent >= r.n/2 {
		r.g.Stop()
		r.stopped = true
	}
	k := min(len(p), r.n-r.sent)
	for i := range p[:k] {
		p[i] = 'x'
	}
	r.sent += k
	return k, nil
}

func TestListing5000Keys(t *testing.T) {
	g := gateway(t)
	ctx := context.Background()
	s := newStore(t, g, "", true)
	if err := s.Mkdir(ctx, "many"); err != nil {
		t.Fatal(err)
	}
	// Written straight into the posix backend: 5000 PUTs would take most
	// of the test's time and prove nothing the listing does not.
	dir := filepath.Join(g.Dir, s.Bucket(), "many")
	for i := range 5000 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%05d.txt", i)), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := s.List(ctx, "many")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 5000 {
		t.Fatalf("List = %d entries, want 5000", len(entries))
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if seen[e.Name] || e.Size != 1 || e.Dir {
			t.Fatalf("entry %+v (duplicate or wrong)", e)
		}
		seen[e.Name] = true
	}
}

func TestRecoverFinishesInterruptedRename(t *testing.T) {
	g := gateway(t)
	ctx := context.Background()
	s := newStore(t, g, "p", true)
	if err := s.Mkdir(ctx, "src"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b", "c"} {
		if _, err := s.Write(ctx, "src/"+n, strings.NewReader(n)); err != nil {
			t.Fatal(err)
		}
	}
	// A crash after the journal and part of the copies: write the
	// journal and one copy by hand.
	s.JournalForTest(ctx, t, "src", "dst", true)
	if err := s.Mkdir(ctx, "dst"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(ctx, "dst/a", strings.NewReader("a")); err != nil {
		t.Fatal(err)
	}
	n, err := s.Recover(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Recover = %d, %v", n, err)
	}
	for _, name := range []string{"a", "b", "c"} {
		f, _, err := s.Open(ctx, "dst/"+name)
		if err != nil {
			t.Errorf("dst/%s after Recover: %v", name, err)
			continue
		}
		f.Close()
	}
	if _, err := s.Stat(ctx, "src"); !errkind.Is(err, errkind.NotFound) {
		t.Errorf("src after Recover: %v, want gone", err)
	}
	if n, err := s.Recover(ctx); err != nil || n != 0 {
		t.Errorf("second Recover = %d, %v", n, err)
	}
}

func TestAbortStaleUploads(t *testing.T) {
	g := gateway(t)
	ctx := context.Background()
	s := newStore(t, g, "", true)
	up, err := s.StartUpload(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.Add(ctx, strings.NewReader(strings.Repeat("x", 6<<20))); err != nil {
		t.Fatal(err)
	}
	// Left behind, as by a server that stopped mid-upload.
	if n, err := s.AbortStaleUploads(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("AbortStaleUploads(1h) = %d, %v; want 0 (too recent)", n, err)
	}
	time.Sleep(1100 * time.Millisecond)
	if n, err := s.AbortStaleUploads(ctx, time.Second); err != nil || n != 1 {
		t.Fatalf("AbortStaleUploads(1s) = %d, %v; want 1", n, err)
	}
	if _, err := up.Complete(ctx, nil); err == nil {
		t.Error("Complete of an aborted upload succeeded")
	}
	if _, err := s.Stat(ctx, "big"); !errkind.Is(err, errkind.NotFound) {
		t.Errorf("Stat(big) = %v, want not found", err)
	}
}

// TestCAFile: an https endpoint with a private CA works with --s3-ca and
// is refused without it (a clear error naming the bucket, not a 500).
func TestCAFile(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an S3 gateway")
	}
	bin := s3gw.Binary()
	if bin == "" {
		if s3gw.Required() {
			t.Fatal("versitygw not found")
		}
		t.Skip("versitygw not installed")
	}
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	g, err := s3gw.StartTLS(context.Background(), bin, filepath.Join(dir, "s3"), cert, key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Stop)
	if err := g.MakeBucket("secure"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ca string
		ok bool
	}{{cert, true}, {"", false}} {
		s, err := s3store.New(s3store.Options{Bucket: "secure", Endpoint: g.Endpoint(), PathStyle: true, Region: "us-east-1", CAFile: tc.ca,
			Creds: credentials.NewStaticV4(g.Access, g.Secret, ""), Retries: -1, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Probe(context.Background())
		if tc.ok && err != nil {
			t.Errorf("with the CA: %v", err)
		}
		if !tc.ok {
			msg, _ := errkind.Message(err)
			if errkind.Of(err) != errkind.Upstream || !strings.Contains(msg, "secure") || !strings.Contains(msg, "--s3-ca") {
				t.Errorf("without the CA: %v (message %q)", err, msg)
			}
		}
	}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// TestStatListMatchesStatThenList: the one-step directory read the
// service uses for listings answers what Stat then List answer, for every
// kind of path (a file, a directory with and without its marker, the
// root, a missing path, a path below a file), under a
// prefix and without one.
func TestStatListMatchesStatThenList(t *testing.T) {
	g := gateway(t)
	ctx := context.Background()
	for _, prefix := range []string{"", "team/alice"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			s := newStore(t, g, prefix, true)
			if err := s.Mkdir(ctx, "d"); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"f.txt", "d/a.txt", "d/b.ipynb"} {
				if _, err := s.Write(ctx, p, strings.NewReader("hello "+p)); err != nil {
					t.Fatal(err)
				}
			}
			// A directory with no marker: a key below it only, as another
			// S3 client makes (in the posix backend, a plain file).
			nm := filepath.Join(g.Dir, s.Bucket(), filepath.FromSlash(prefix), "nomarker")
			if err := os.MkdirAll(nm, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(nm, "x.txt"), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := s.Mkdir(ctx, "d/sub"); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"", "f.txt", "d", "d/sub", "nomarker", "missing", "f.txt/x", "d/missing"} {
				info, entries, listed, err := s.StatList(ctx, p)
				want, werr := s.Stat(ctx, p)
				if (err == nil) != (werr == nil) || (err != nil && errkind.Of(err) != errkind.Of(werr)) {
					t.Fatalf("StatList(%q) err = %v, Stat err = %v", p, err, werr)
				}
				if err != nil {
					continue
				}
				if info != want {
					t.Errorf("StatList(%q) info = %+v, Stat = %+v", p, info, want)
				}
				if listed != want.Dir {
					t.Errorf("StatList(%q) listed = %v for Dir = %v", p, listed, want.Dir)
				}
				if !want.Dir {
					continue
				}
				wantEntries, err := s.List(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(names(entries)) != fmt.Sprint(names(wantEntries)) || len(entries) != len(wantEntries) {
					t.Errorf("StatList(%q) entries = %v, List = %v", p, names(entries), names(wantEntries))
				}
			}
		})
	}
}

func names(es []contents.Info) []string {
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprintf("%s:%v:%d", e.Name, e.Dir, e.Size))
	}
	return out
}
