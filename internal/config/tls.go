package config

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// ACME directories known by name (--acme-directory).
const (
	LetsEncrypt        = "https://acme-v02.api.letsencrypt.org/directory"
	LetsEncryptStaging = "https://acme-staging-v02.api.letsencrypt.org/directory"
)

// acmeDirectories maps the names --acme-directory accepts to their URLs.
var acmeDirectories = map[string]string{
	"letsencrypt":         LetsEncrypt,
	"letsencrypt-staging": LetsEncryptStaging,
}

// ACME holds the settings of automatic certificates from an ACME CA
// (--acme-*). It is on when Domains is not empty.
type ACME struct {
	// Domains are the only names certificates are ordered for, lower-case
	// and without a trailing dot once Load has checked them.
	Domains []string
	Email   string
	// Directory is the CA's directory URL (Load resolves the names
	// letsencrypt and letsencrypt-staging).
	Directory string
	// CARoot is a PEM file of roots for Quire's connections to the ACME
	// server itself ("" = the system's roots).
	CARoot string
	// EABKeyID and EABHMAC are the external account binding some CAs
	// require; EABHMAC is a secret.
	EABKeyID string
	EABHMAC  string
	// HTTPPort serves HTTP-01 challenges and redirects everything else to
	// HTTPS (0 = no such listener: TLS-ALPN-01 only).
	HTTPPort int
	// RenewBefore is how long before expiry a certificate is renewed
	// (0 = a third of its lifetime, at most 30 days).
	RenewBefore time.Duration
	// Retry is the wait after a failed attempt to get a certificate; it
	// doubles with each further failure up to MaxRetry.
	Retry time.Duration
}

// MaxACMERetry caps the doubling wait between failed attempts to get a
// certificate (or Retry, if that is longer).
const MaxACMERetry = 4 * time.Hour

// maxRenewBefore is autocert's own cap on RenewBefore.
const maxRenewBefore = 30 * 24 * time.Hour

// Enabled reports whether certificates come from an ACME CA.
func (a *ACME) Enabled() bool { return len(a.Domains) > 0 }

// defaultHSTS is Strict-Transport-Security's max-age unless --hsts-max-age
// says otherwise: one year.
const defaultHSTS = 365 * 24 * time.Hour

// HSTS is the Strict-Transport-Security max-age sent with HTTPS responses
// (0 = none): --hsts-max-age when it was given; otherwise none with a
// self-signed certificate (a browser told to insist on HTTPS would lock
// its user out of the site once the certificate changes) and one year
// with a given or ACME certificate, or behind a TLS-terminating proxy.
func (c *Config) HSTS() time.Duration {
	if c.HSTSSet {
		return c.HSTSMaxAge
	}
	if c.TLS == "self-signed" {
		return 0
	}
	return defaultHSTS
}

// checkTLS checks the ACME and HSTS settings against each other and
// against the rest, and resolves the ACME directory's name. Conflicts are
// refused with the option names and what to do instead.
func (c *Config) checkTLS() error {
	if c.HSTSMaxAge%time.Second != 0 {
		return fmt.Errorf("--hsts-max-age %s: use whole seconds (max-age counts seconds)", c.HSTSMaxAge)
	}
	a := &c.ACME
	if !a.Enabled() {
		d := Defaults().ACME
		for _, o := range []struct {
			name  string
			given bool
		}{
			{"--acme-email", a.Email != ""},
			{"--acme-directory", a.Directory != d.Directory},
			{"--acme-ca-root", a.CARoot != ""},
			{"--acme-eab-kid", a.EABKeyID != ""},
			{"--acme-eab-hmac", a.EABHMAC != ""},
			{"--acme-http-port", a.HTTPPort != d.HTTPPort},
			{"--acme-renew-before", a.RenewBefore != d.RenewBefore},
			{"--acme-retry", a.Retry != d.Retry},
		} {
			if o.given {
				return fmt.Errorf("%s needs --acme-domain: name the domain(s) to get certificates for", o.name)
			}
		}
		return nil
	}
	seen := map[string]bool{}
	domains := a.Domains[:0:0]
	for _, d := range a.Domains {
		name, err := acmeDomain(d)
		if err != nil {
			return fmt.Errorf("--acme-domain %q: %w", d, err)
		}
		if !seen[name] {
			seen[name] = true
			domains = append(domains, name)
		}
	}
	a.Domains = domains
	switch {
	case c.CertFile != "":
		return errors.New("--acme-domain and --certfile/--keyfile exclude each other: ACME gets the certificate itself; drop one of them")
	case c.TLS != "":
		return errors.New("--acme-domain and --tls self-signed exclude each other: ACME gets a certificate browsers trust; drop --tls")
	case c.Sock != "":
		return errors.New("--acme-domain needs a TCP port that the CA and browsers can reach, and --sock listens on a Unix socket only; drop --sock")
	case c.Port == 0:
		return errors.New("--acme-domain needs a fixed --port (usually 443) that the CA and browsers can reach, not --port 0")
	case c.PortRetries > 0:
		return errors.New("--acme-domain with --port-retries could move Quire off the port the CA and browsers expect; drop --port-retries")
	case a.HTTPPort < 0 || a.HTTPPort > 65535:
		return fmt.Errorf("--acme-http-port %d is not a TCP port (1-65535, or 0 for none)", a.HTTPPort)
	case a.HTTPPort == c.Port:
		return fmt.Errorf("--acme-http-port %d is also --port: the HTTP listener (challenges, redirects) needs a port of its own, usually 80, or 0 for none", a.HTTPPort)
	case (a.EABKeyID == "") != (a.EABHMAC == ""):
		return errors.New("--acme-eab-kid and --acme-eab-hmac go together: give both (as your CA lists them) or neither")
	case a.RenewBefore > maxRenewBefore:
		return fmt.Errorf("--acme-renew-before %s is more than 30 days, which autocert does not allow", a.RenewBefore)
	case strings.ContainsAny(a.Email, " \t\r\n,") || (a.Email != "" && !strings.Contains(a.Email, "@")):
		return fmt.Errorf("--acme-email %q is not one e-mail address", a.Email)
	}
	a.Email = strings.TrimPrefix(a.Email, "mailto:")
	if u, ok := acmeDirectories[strings.ToLower(a.Directory)]; ok {
		a.Directory = u
	}
	u, err := url.Parse(a.Directory)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return fmt.Errorf("--acme-directory %q: want letsencrypt, letsencrypt-staging or the https:// URL of an ACME directory", a.Directory)
	}
	return nil
}

// acmeDomain checks one --acme-domain value and returns it lower-case,
// without a trailing dot: a DNS name of at least two labels (ACME CAs
// and autocert want one), letters, digits and inner hyphens only, so no
// wildcards (which need DNS-01), IP addresses or ports.
func acmeDomain(s string) (string, error) {
	name := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
	switch {
	case name == "":
		return "", errors.New("empty name")
	case strings.HasPrefix(name, "*."):
		return "", errors.New("wildcard certificates need the DNS-01 challenge, which Quire does not do; list each name")
	case strings.Contains(name, ":") || strings.Contains(name, "/"):
		return "", errors.New("want a bare host name, without scheme, port or path")
	case len(name) > 253:
		return "", errors.New("longer than 253 characters")
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return "", errors.New("an IP address; ACME certificates here are for DNS names")
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return "", errors.New("want a fully qualified name such as notebook.example.org")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", fmt.Errorf("label %q: 1 to 63 characters, not starting or ending with a hyphen", l)
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return "", fmt.Errorf("label %q: only letters, digits and hyphens (write an international name in its xn-- form)", l)
			}
		}
	}
	return name, nil
}
