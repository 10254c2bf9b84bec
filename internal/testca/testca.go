// Package testca makes certificate authorities and certificates for tests
// and benchmarks: a CA per test, server certificates for names and
// addresses (valid, expired, not yet valid, self-signed), client
// certificates for mutual TLS, written as PEM files where a server or a
// proxy wants them. Nothing here is for production: keys are P-256 and
// live as long as the test.
package testca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CA is a certificate authority made for one test.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	// Pool trusts the CA (and nothing else).
	Pool *x509.CertPool
	// PEM is the CA's certificate, for a file a server or client reads.
	PEM []byte
}

// New makes a CA named name, valid from two days ago for ten years.
func New(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testca: CA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(10 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("testca: CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("testca: CA certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{Cert: cert, Key: key, Pool: pool, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// NewT is New for a test: a failure fails t.
func NewT(t testing.TB, name string) *CA {
	t.Helper()
	ca, err := New(name)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// Leaf describes a certificate to issue.
type Leaf struct {
	// Names are DNS names and IP addresses (told apart by parsing); the
	// first is also the subject's common name.
	Names []string
	// NotBefore and NotAfter default to a day ago and 90 days ahead.
	NotBefore, NotAfter time.Time
	// SelfSigned signs the certificate with its own key instead of the CA's.
	SelfSigned bool
	// Client makes a client certificate (mutual TLS) instead of a server's.
	Client bool
	// ServerAndClient makes a certificate good for both, as JupyterHub's
	// internal SSL issues them.
	ServerAndClient bool
}

// Issued is a certificate and its key.
type Issued struct {
	TLS     tls.Certificate
	CertPEM []byte
	KeyPEM  []byte // PKCS #8
}

// Issue makes the certificate l describes.
func (ca *CA) Issue(l Leaf) (Issued, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Issued{}, fmt.Errorf("testca: key: %w", err)
	}
	if l.NotBefore.IsZero() {
		l.NotBefore = time.Now().Add(-24 * time.Hour)
	}
	if l.NotAfter.IsZero() {
		l.NotAfter = time.Now().Add(90 * 24 * time.Hour)
	}
	usage := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	switch {
	case l.ServerAndClient:
		usage = append(usage, x509.ExtKeyUsageClientAuth)
	case l.Client:
		usage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), NotBefore: l.NotBefore, NotAfter: l.NotAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: usage,
	}
	for i, n := range l.Names {
		if i == 0 {
			tmpl.Subject = pkix.Name{CommonName: n}
		}
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	parent, signer := ca.Cert, ca.Key
	if l.SelfSigned {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return Issued{}, fmt.Errorf("testca: certificate for %v: %w", l.Names, err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Issued{}, fmt.Errorf("testca: key: %w", err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return Issued{}, fmt.Errorf("testca: key pair: %w", err)
	}
	return Issued{TLS: pair, CertPEM: certPEM, KeyPEM: keyPEM}, nil
}

// IssueT is Issue for a test: a failure fails t.
func (ca *CA) IssueT(t testing.TB, l Leaf) Issued {
	t.Helper()
	is, err := ca.Issue(l)
	if err != nil {
		t.Fatal(err)
	}
	return is
}

// Files are where Write put a certificate: Cert and Key alone (the key
// 0600), Combined holds both (as haproxy wants them).
type Files struct {
	Cert, Key, Combined string
}

// Write writes the certificate into dir as NAME.pem, NAME-key.pem and
// NAME-combined.pem.
func (is Issued) Write(dir, name string) (Files, error) {
	f := Files{
		Cert:     filepath.Join(dir, name+".pem"),
		Key:      filepath.Join(dir, name+"-key.pem"),
		Combined: filepath.Join(dir, name+"-combined.pem"),
	}
	for _, w := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{
		{f.Cert, is.CertPEM, 0o644},
		{f.Key, is.KeyPEM, 0o600},
		{f.Combined, append(append([]byte{}, is.CertPEM...), is.KeyPEM...), 0o600},
	} {
		if err := os.WriteFile(w.path, w.data, w.mode); err != nil {
			return Files{}, fmt.Errorf("testca: %w", err)
		}
	}
	return f, nil
}

// WriteT is Write for a test: a failure fails t.
func (is Issued) WriteT(t testing.TB, dir, name string) Files {
	t.Helper()
	f, err := is.Write(dir, name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// WriteCA writes the CA's certificate into dir as name and returns its path.
func (ca *CA) WriteCA(dir, name string) (string, error) {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, ca.PEM, 0o644); err != nil {
		return "", fmt.Errorf("testca: %w", err)
	}
	return p, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return n.Add(n, big.NewInt(1))
}
