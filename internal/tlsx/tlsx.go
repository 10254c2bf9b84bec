// Package tlsx builds Quire's TLS configurations: from certificate files the
// user supplies, from a self-signed certificate Quire generates once and
// keeps in its data dir, or from an ACME CA (ACME, on autocert), which
// issues and renews certificates for the configured names.
package tlsx

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
)

// ErrExpired marks a certificate whose validity has ended.
var ErrExpired = errors.New("certificate expired")

// baseConfig is what every Quire TLS listener shares: TLS 1.2 or later,
// Go's default cipher suites and curves, HTTP/2 offered first.
func baseConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"h2", "http/1.1"},
	}
}

// LoadFiles reads a PEM certificate chain and its private key. Errors name
// the file and the problem: missing or unreadable, not PEM, a key that does
// not match the certificate, or a certificate that has expired (wrapping
// ErrExpired).
func LoadFiles(certFile, keyFile string) (*tls.Config, error) {
	certPEM, err := readPEM(certFile, "certificate")
	if err != nil {
		return nil, err
	}
	keyPEM, err := readPEM(keyFile, "private key")
	if err != nil {
		return nil, err
	}
	if !hasBlock(certPEM, "CERTIFICATE") {
		return nil, fmt.Errorf("certificate file %s: no CERTIFICATE block (is it the key file?)", certFile)
	}
	if !hasKeyBlock(keyPEM) {
		return nil, fmt.Errorf("private key file %s: no PRIVATE KEY block (is it the certificate file?)", keyFile)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		if strings.Contains(err.Error(), "does not match") {
			return nil, fmt.Errorf("private key file %s does not match certificate file %s", keyFile, certFile)
		}
		return nil, fmt.Errorf("certificate %s with key %s: %w", certFile, keyFile, err)
	}
	leaf := cert.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("certificate file %s: %w", certFile, err)
		}
	}
	if now := time.Now(); now.After(leaf.NotAfter) {
		return nil, fmt.Errorf("certificate file %s: %w on %s; renew it", certFile, ErrExpired, leaf.NotAfter.UTC().Format(time.DateOnly))
	}
	return baseConfig(cert), nil
}

// readPEM reads a file that must hold PEM data, naming what it is for.
func readPEM(name, what string) ([]byte, error) {
	b, err := os.ReadFile(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s file %s: not found", what, name)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("%s file %s: permission denied", what, name)
	case err != nil:
		return nil, fmt.Errorf("%s file %s: %w", what, name, err)
	}
	if blk, _ := pem.Decode(b); blk == nil {
		return nil, fmt.Errorf("%s file %s: not PEM (want a file starting with -----BEGIN)", what, name)
	}
	return b, nil
}

func hasBlock(b []byte, typ string) bool {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return false
		}
		if blk.Type == typ {
			return true
		}
	}
}

func hasKeyBlock(b []byte) bool {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return false
		}
		if blk.Type == "PRIVATE KEY" || strings.HasSuffix(blk.Type, " PRIVATE KEY") {
			return true
		}
	}
}

// Fingerprint is the certificate's SHA-256 digest as upper-case hex pairs
// joined by colons, the form browsers show.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
