package tlsx

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"quire/internal/safefile"
)

// ACMEOptions configures automatic certificates. Domains must already be
// checked (lower-case DNS names without a trailing dot, as config does).
type ACMEOptions struct {
	// Domains are the only names certificates are ordered for; the first
	// is also served to clients that name none (no SNI).
	Domains []string
	// Email is the contact address given to the CA ("" = none).
	Email string
	// DirectoryURL is the CA's ACME directory.
	DirectoryURL string
	// CARootFile is a PEM file of roots for Quire's own connections to the
	// ACME server ("" = the system's roots).
	CARootFile string
	// EABKeyID and EABHMAC (base64url) are the external account binding,
	// both or neither.
	EABKeyID string
	EABHMAC  string
	// CacheDir holds the account key and certificates: a directory per CA
	// is made in it, mode 0700, its files 0600.
	CacheDir string
	// RenewBefore is how long before expiry a certificate is renewed (0 =
	// a third of its lifetime, at most 30 days: autocert's default).
	RenewBefore time.Duration
	// Retry is the wait after a failed attempt to get a certificate; it
	// doubles with each further failure up to MaxRetry (or Retry, if
	// longer).
	Retry    time.Duration
	MaxRetry time.Duration
	// UserAgent names Quire to the CA.
	UserAgent string
	Log       *slog.Logger
}

// ACME gets certificates for its domains from an ACME CA with autocert,
// keeps them in its cache and renews them before they expire. Only its
// own goroutine (Run) ever orders a certificate: a TLS handshake is
// answered from what is already there, so neither a client naming another
// host nor a burst of clients during an outage can make it order.
type ACME struct {
	m       *autocert.Manager
	client  *acme.Client
	domains []string
	names   map[string]bool
	retry   time.Duration
	max     time.Duration
	renew   time.Duration // RenewBefore as given (0 = autocert's default)
	dir     string        // the CA's directory URL
	log     *slog.Logger

	// life ends every request to the CA once Run's context ends, so an
	// order in progress gives up instead of holding shutdown.
	life    context.Context
	endLife context.CancelFunc

	mu    sync.Mutex
	ready map[string]bool // names whose certificate is in memory
}

// NewACME checks o, reads the CA roots and prepares the cache directory.
// It contacts nobody: Run does.
func NewACME(o ACMEOptions) (*ACME, error) {
	if len(o.Domains) == 0 {
		return nil, errors.New("ACME: no domain")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Retry <= 0 {
		return nil, errors.New("ACME: the retry wait must be positive")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if o.CARootFile != "" {
		pem, err := readPEM(o.CARootFile, "ACME CA root")
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ACME CA root file %s: no certificate in it", o.CARootFile)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	var eab *acme.ExternalAccountBinding
	if o.EABKeyID != "" || o.EABHMAC != "" {
		key, err := decodeHMAC(o.EABHMAC)
		if err != nil || o.EABKeyID == "" {
			return nil, errors.New("ACME external account binding: want a key ID and its HMAC key in base64url, as the CA gives them (the key is not shown here)")
		}
		eab = &acme.ExternalAccountBinding{KID: o.EABKeyID, Key: key}
	}
	cacheDir := filepath.Join(o.CacheDir, caDirName(o.DirectoryURL))
	if err := safefile.MkdirAll(o.CacheDir); err != nil {
		return nil, fmt.Errorf("ACME cache: %w", err)
	}
	if err := safefile.MkdirAll(cacheDir); err != nil {
		return nil, fmt.Errorf("ACME cache: %w", err)
	}

	life, endLife := context.WithCancel(context.Background())
	a := &ACME{
		domains: o.Domains,
		names:   make(map[string]bool, len(o.Domains)),
		retry:   o.Retry,
		max:     max(o.MaxRetry, o.Retry),
		renew:   o.RenewBefore,
		dir:     o.DirectoryURL,
		log:     o.Log,
		life:    life,
		endLife: endLife,
		ready:   make(map[string]bool),
	}
	for _, d := range o.Domains {
		a.names[d] = true
	}
	a.client = &acme.Client{
		DirectoryURL: o.DirectoryURL,
		UserAgent:    o.UserAgent,
		HTTPClient: &http.Client{
			Transport: &caTransport{next: tr, life: life, log: o.Log},
			Timeout:   time.Minute, // one request; an order makes several
		},
	}
	a.m = &autocert.Manager{
		// The terms of service are accepted on the user's behalf; Run logs
		// their URL at every start.
		Prompt:                 autocert.AcceptTOS,
		Cache:                  &cache{dir: cacheDir, names: a.names, log: o.Log},
		HostPolicy:             a.policy,
		RenewBefore:            o.RenewBefore,
		Client:                 a.client,
		Email:                  o.Email,
		ExternalAccountBinding: eab,
	}
	return a, nil
}

// decodeHMAC reads an EAB key: base64url as CAs print it, with or without
// padding (some print standard base64).
func decodeHMAC(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) > 0 {
			return b, nil
		}
	}
	return nil, errors.New("not base64url")
}

// caDirName is the cache directory of one CA: its host, then a digest of
// the whole directory URL, so certificates of a staging CA are never
// served once the production one is configured.
func caDirName(dirURL string) string {
	host := "ca"
	if u, err := url.Parse(dirURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	host = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, strings.ToLower(host))
	sum := sha256.Sum256([]byte(dirURL))
	return host + "-" + hex.EncodeToString(sum[:4])
}

// TLSConfig is the configuration of the HTTPS listener: certificates from
// the cache, TLS-ALPN-01 challenges answered, TLS 1.2 or later, HTTP/2.
func (a *ACME) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: a.getCertificate,
		NextProtos:     []string{"h2", "http/1.1", acme.ALPNProto},
	}
}

// HTTPHandler answers HTTP-01 challenges and passes every other request to
// fallback (the redirect to HTTPS). Calling it turns HTTP-01 on, so it
// must come before Run.
func (a *ACME) HTTPHandler(fallback http.Handler) http.Handler {
	return a.m.HTTPHandler(fallback)
}

// Name returns the configured domain a request's Host names (port and
// trailing dot ignored, any case), or the first domain when it names none
// of them: where a redirect to HTTPS may send a browser.
func (a *ACME) Name(host string) string {
	if n := hostOnly(host); a.names[n] {
		return n
	}
	return a.domains[0]
}

// hostOnly is host without a port or trailing dot, lower-case.
func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.ToLower(strings.TrimSuffix(host, "."))
}

// policy is autocert's HostPolicy: only the configured names. The HTTP-01
// handler passes it the Host header, port included.
func (a *ACME) policy(_ context.Context, host string) error {
	if !a.names[hostOnly(host)] {
		return fmt.Errorf("%q is not an --acme-domain", host)
	}
	return nil
}

// getCertificate serves a handshake: the CA's TLS-ALPN-01 validation gets
// autocert's challenge certificate; a client gets the certificate of the
// name it asked for (the first domain when it names none), once Run has
// it. Nothing here orders a certificate.
func (a *ACME) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if len(hello.SupportedProtos) == 1 && hello.SupportedProtos[0] == acme.ALPNProto {
		return a.m.GetCertificate(hello)
	}
	name := a.domains[0]
	if hello.ServerName != "" {
		name = hostOnly(hello.ServerName)
		if !a.names[name] {
			return nil, fmt.Errorf("no certificate for %q: not an --acme-domain", hello.ServerName)
		}
	}
	a.mu.Lock()
	ready := a.ready[name]
	a.mu.Unlock()
	if !ready {
		return nil, fmt.Errorf("no certificate for %s yet: the ACME CA has not issued it (see the log)", name)
	}
	return a.m.GetCertificate(helloFor(name))
}

// helloFor is the handshake Quire presents to autocert for name: one that
// supports ECDSA, so autocert keeps to one ECDSA P-256 certificate per
// name (every TLS 1.2+ browser takes it) instead of ordering an RSA one
// for the odd client that would ask.
func helloFor(name string) *tls.ClientHelloInfo {
	return &tls.ClientHelloInfo{
		ServerName:   name,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
	}
}

// Run logs the CA's terms of service, then gets a certificate for every
// domain, from the cache or by ordering one, until ctx ends. An attempt
// that fails is logged with the CA's reason and retried after the retry
// wait, which doubles with each failure (up to the maximum). Once a
// certificate is in memory autocert renews it RenewBefore its expiry,
// retrying a failed renewal every 30 to 60 minutes while the current one
// is served; the new certificate is logged as it is stored. When ctx
// ends, requests to the CA in progress are cancelled and Run returns.
// autocert's renewal timers are its own and cannot be stopped from
// outside; after Run has returned, any request they make to the CA fails
// at once, so they end without effect.
func (a *ACME) Run(ctx context.Context) {
	defer a.endLife()
	wait := a.retry
	terms := false
	for {
		err := a.attempt(ctx, &terms)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		a.log.Warn("ACME: could not get a certificate; will try again", "err", err, "retry_in", wait.String())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, a.max)
	}
	<-ctx.Done()
}

// attempt reads the CA's directory (until it could, logging its terms)
// and gets the certificate of every domain not yet in memory. A
// directory that cannot be read stops nothing: a cached certificate is
// served all the same. It returns the first error after trying every
// domain.
func (a *ACME) attempt(ctx context.Context, terms *bool) error {
	if !*terms {
		dctx, cancel := context.WithTimeout(ctx, time.Minute)
		dir, err := a.client.Discover(dctx)
		cancel()
		if err == nil {
			*terms = true
			a.log.Info("ACME: the CA's terms of service are accepted on your behalf (autocert.AcceptTOS); read them",
				"terms", cmp.Or(dir.Terms, "(the CA lists none)"), "directory", a.dir)
		}
	}
	var first error
	for _, d := range a.domains {
		a.mu.Lock()
		ready := a.ready[d]
		a.mu.Unlock()
		if ready {
			continue
		}
		// autocert loads the cached certificate, or orders one (its own
		// timeout: 5 minutes) and stores it; either way it starts the
		// renewal timer.
		cert, err := a.m.GetCertificate(helloFor(d))
		if err != nil {
			if first == nil {
				first = fmt.Errorf("%s: %w", d, err)
			}
			continue
		}
		a.mu.Lock()
		a.ready[d] = true
		a.mu.Unlock()
		attrs := []any{"domain", d}
		if leaf := cert.Leaf; leaf != nil {
			attrs = append(attrs, "not_after", leaf.NotAfter.UTC().Format(time.RFC3339), "issuer", leaf.Issuer.CommonName)
			// autocert renews at once a certificate it thinks is due, and
			// so would order again and again.
			if life := leaf.NotAfter.Sub(leaf.NotBefore); a.renew >= life {
				a.log.Warn("ACME: --acme-renew-before is not shorter than the certificates' lifetime, so each would be renewed as soon as it arrives; lower it, or leave it 0 (a third of the lifetime)",
					"renew_before", a.renew.String(), "lifetime", life.String())
			}
		}
		a.log.Info("ACME: serving a certificate", attrs...)
	}
	return first
}
