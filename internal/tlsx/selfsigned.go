package tlsx

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
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"quire/internal/safefile"
)

// Self-signed certificate files inside SelfSigned's dir.
const (
	CertName = "selfsigned-cert.pem"
	KeyName  = "selfsigned-key.pem"
)

const (
	validity = 365 * 24 * time.Hour
	// renewBefore: a certificate this close to expiry is replaced at start.
	renewBefore = 30 * 24 * time.Hour
)

// SelfSigned returns a TLS config serving a self-signed certificate kept in
// dir, and the certificate's fingerprint (see Fingerprint). The certificate
// (ECDSA P-256, one year, names: hosts plus localhost, 127.0.0.1 and ::1) is
// generated on first use and reused on later starts; it is replaced when it
// has expired, expires within 30 days, cannot be read, or was made for other
// names. The key file is written with mode 0600, the directory 0700.
func SelfSigned(dir string, hosts []string, now time.Time) (*tls.Config, string, error) {
	dns, ips := sans(hosts)
	certPath := filepath.Join(dir, CertName)
	keyPath := filepath.Join(dir, KeyName)
	if cert, leaf, ok := reuse(certPath, keyPath, dns, ips, now); ok {
		return baseConfig(cert), Fingerprint(leaf), nil
	}
	if err := safefile.MkdirAll(dir); err != nil {
		return nil, "", fmt.Errorf("self-signed certificate: %w", err)
	}
	certPEM, keyPEM, err := generate(dns, ips, now)
	if err != nil {
		return nil, "", fmt.Errorf("self-signed certificate: %w", err)
	}
	// Key first: a crash in between leaves a key without a matching
	// certificate, which the next start detects and replaces.
	if err := safefile.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		return nil, "", fmt.Errorf("self-signed certificate: %w", err)
	}
	if err := safefile.WriteFile(certPath, certPEM, 0o644); err != nil {
		return nil, "", fmt.Errorf("self-signed certificate: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, "", fmt.Errorf("self-signed certificate: %w", err)
	}
	return baseConfig(cert), Fingerprint(cert.Leaf), nil
}

// sans returns the sorted, de-duplicated DNS names and IP addresses a
// certificate for hosts must carry. Ports and IPv6 brackets are dropped.
func sans(hosts []string) ([]string, []netip.Addr) {
	var dns []string
	ips := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()}
	dns = append(dns, "localhost")
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		if hp, _, err := net.SplitHostPort(h); err == nil {
			h = hp
		}
		h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
		if h == "" {
			continue
		}
		if a, err := netip.ParseAddr(h); err == nil {
			ips = append(ips, a.Unmap())
			continue
		}
		dns = append(dns, strings.ToLower(strings.TrimSuffix(h, ".")))
	}
	slices.Sort(dns)
	dns = slices.Compact(dns)
	slices.SortFunc(ips, func(a, b netip.Addr) int { return a.Compare(b) })
	ips = slices.Compact(ips)
	return dns, ips
}

// reuse loads an existing pair if it is readable, matching, valid for
// another renewBefore and made for exactly these names.
func reuse(certPath, keyPath string, dns []string, ips []netip.Addr, now time.Time) (tls.Certificate, *x509.Certificate, bool) {
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return tls.Certificate{}, nil, false
	}
	leaf := cert.Leaf
	if leaf == nil {
		return tls.Certificate{}, nil, false
	}
	if now.Before(leaf.NotBefore) || now.Add(renewBefore).After(leaf.NotAfter) {
		return tls.Certificate{}, nil, false
	}
	gotDNS := slices.Clone(leaf.DNSNames)
	slices.Sort(gotDNS)
	var gotIPs []netip.Addr
	for _, ip := range leaf.IPAddresses {
		if a, ok := netip.AddrFromSlice(ip); ok {
			gotIPs = append(gotIPs, a.Unmap())
		}
	}
	slices.SortFunc(gotIPs, func(a, b netip.Addr) int { return a.Compare(b) })
	if !slices.Equal(gotDNS, dns) || !slices.Equal(gotIPs, ips) {
		return tls.Certificate{}, nil, false
	}
	// Keep the key private even if something loosened its mode.
	if fi, err := os.Stat(keyPath); err == nil && fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(keyPath, 0o600); err != nil {
			return tls.Certificate{}, nil, false
		}
	}
	return cert, leaf, true
}

// generate makes a fresh ECDSA P-256 key and a one-year self-signed
// certificate for the given names.
func generate(dns []string, ips []netip.Addr, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Quire self-signed", Organization: []string{"Quire"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              dns,
	}
	for _, a := range ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.IP(a.AsSlice()))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	return certPEM, keyPEM, nil
}
