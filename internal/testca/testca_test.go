package testca_test

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"strings"
	"testing"
	"time"

	"quire/internal/testca"
)

func TestIssueVerifies(t *testing.T) {
	ca := testca.NewT(t, "Test CA")
	other := testca.NewT(t, "Other CA")
	now := time.Now()
	for _, tc := range []struct {
		name   string
		leaf   testca.Leaf
		host   string
		usage  x509.ExtKeyUsage
		pool   *x509.CertPool
		errHas string // "" = verifies
	}{
		{"dns name", testca.Leaf{Names: []string{"notebooks.example.org"}}, "notebooks.example.org", x509.ExtKeyUsageServerAuth, ca.Pool, ""},
		{"ip address", testca.Leaf{Names: []string{"127.0.0.1"}}, "127.0.0.1", x509.ExtKeyUsageServerAuth, ca.Pool, ""},
		{"wrong name", testca.Leaf{Names: []string{"a.example"}}, "b.example", x509.ExtKeyUsageServerAuth, ca.Pool, "valid for a.example"},
		{"expired", testca.Leaf{Names: []string{"a.example"}, NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)}, "a.example", x509.ExtKeyUsageServerAuth, ca.Pool, "expired"},
		{"self-signed", testca.Leaf{Names: []string{"a.example"}, SelfSigned: true}, "a.example", x509.ExtKeyUsageServerAuth, ca.Pool, "unknown authority"},
		{"another CA", testca.Leaf{Names: []string{"a.example"}}, "a.example", x509.ExtKeyUsageServerAuth, other.Pool, "unknown authority"},
		{"client", testca.Leaf{Names: []string{"hub"}, Client: true}, "", x509.ExtKeyUsageClientAuth, ca.Pool, ""},
		{"client as server", testca.Leaf{Names: []string{"hub"}, Client: true}, "", x509.ExtKeyUsageServerAuth, ca.Pool, "incompatible key usage"},
		{"both, as server", testca.Leaf{Names: []string{"127.0.0.1"}, ServerAndClient: true}, "127.0.0.1", x509.ExtKeyUsageServerAuth, ca.Pool, ""},
		{"both, as client", testca.Leaf{Names: []string{"127.0.0.1"}, ServerAndClient: true}, "", x509.ExtKeyUsageClientAuth, ca.Pool, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := ca.IssueT(t, tc.leaf)
			c, err := x509.ParseCertificate(is.TLS.Certificate[0])
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Verify(x509.VerifyOptions{DNSName: tc.host, Roots: tc.pool, KeyUsages: []x509.ExtKeyUsage{tc.usage}})
			switch {
			case tc.errHas == "" && err != nil:
				t.Fatalf("Verify: %v", err)
			case tc.errHas != "" && (err == nil || !strings.Contains(err.Error(), tc.errHas)):
				t.Fatalf("Verify: %v, want an error with %q", err, tc.errHas)
			}
		})
	}
}

// TestMutualTLS runs a handshake where each side checks the other's
// certificate against the CA, from the written files.
func TestMutualTLS(t *testing.T) {
	ca := testca.NewT(t, "mTLS CA")
	dir := t.TempDir()
	srvFiles := ca.IssueT(t, testca.Leaf{Names: []string{"127.0.0.1"}}).WriteT(t, dir, "server")
	cli := ca.IssueT(t, testca.Leaf{Names: []string{"client"}, Client: true})
	srvPair, err := tls.LoadX509KeyPair(srvFiles.Cert, srvFiles.Key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tls.LoadX509KeyPair(srvFiles.Combined, srvFiles.Combined); err != nil {
		t.Fatalf("combined file: %v", err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{srvPair}, ClientCAs: ca.Pool, ClientAuth: tls.RequireAndVerifyClientCert})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			err = c.(*tls.Conn).Handshake()
			c.Close()
		}
		done <- err
	}()
	host, _, _ := net.SplitHostPort(ln.Addr().String())
	c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: ca.Pool, ServerName: host, Certificates: []tls.Certificate{cli.TLS}})
	if err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	c.Close()
	if err := <-done; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
}
