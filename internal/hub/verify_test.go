package hub

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"
)

// TestVerifyHub: the Hub's certificate must chain to the internal-SSL CA
// bundle; its names are checked when it has any (JupyterHub 3.0's certipy
// issues certificates without).
func TestVerifyHub(t *testing.T) {
	mk := func(cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, ca bool, ips []net.IP) (*x509.Certificate, *ecdsa.PrivateKey) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: ips}
		if ca {
			tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
		}
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c, key
	}
	ca, caKey := mk("hub-ca", nil, nil, true, nil)
	other, otherKey := mk("other-ca", nil, nil, true, nil)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	noNames, _ := mk("hub-internal", ca, caKey, false, nil)
	named, _ := mk("hub-internal", ca, caKey, false, []net.IP{net.IPv4(127, 0, 0, 1)})
	foreign, _ := mk("hub-internal", other, otherKey, false, nil)
	for _, tc := range []struct {
		name  string
		certs []*x509.Certificate
		host  string
		ok    bool
	}{
		{"no names, chains", []*x509.Certificate{noNames}, "127.0.0.1", true},
		{"named, host matches", []*x509.Certificate{named}, "127.0.0.1", true},
		{"named, host differs", []*x509.Certificate{named}, "10.0.0.1", false},
		{"another CA", []*x509.Certificate{foreign}, "127.0.0.1", false},
		{"no certificate", nil, "127.0.0.1", false},
	} {
		err := verifyHub(tls.ConnectionState{PeerCertificates: tc.certs}, pool, tc.host)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}
