package doctor

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"quire/internal/tlsx"
)

// expiryWarning is how close to its end a certificate's validity draws a
// warning.
const expiryWarning = 14 * 24 * time.Hour

// certCheck is a certificate chain to judge: leaf first, the names clients
// use to reach it, and what to say about where it comes from.
type certCheck struct {
	id    string              // "tls" or "cert": findings are id.chain, id.names, id.expiry
	chain []*x509.Certificate // leaf first
	names []string            // host names or IP addresses clients use
	roots *x509.CertPool      // nil: the system's
	now   time.Time
	// source says where the certificate comes from ("--certfile
	// /etc/x.pem", "the server"); renew says how to replace it.
	source, renew string
}

// certFindings judges the chain: that it leads to a trusted root, covers
// every name, and is valid now and for a while yet.
func certFindings(c certCheck) []Finding {
	if len(c.chain) == 0 {
		return []Finding{{ID: c.id + ".chain", Level: Error, Title: "no certificate in " + c.source}}
	}
	leaf := c.chain[0]
	var out []Finding

	// The chain, judged at a time inside the leaf's validity so that an
	// expired certificate is reported once, by the expiry check.
	at := c.now
	if at.After(leaf.NotAfter) || at.Before(leaf.NotBefore) {
		at = leaf.NotAfter.Add(-time.Minute)
	}
	inter := x509.NewCertPool()
	for _, ic := range c.chain[1:] {
		inter.AddCert(ic)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: c.roots, Intermediates: inter, CurrentTime: at})
	var unknown x509.UnknownAuthorityError
	switch {
	case err == nil:
		out = append(out, Finding{ID: c.id + ".chain", Level: OK,
			Title: fmt.Sprintf("certificate chain of %s is trusted (issuer: %s)", c.source, issuerName(leaf))})
	case errors.As(err, &unknown) && selfSigned(leaf):
		out = append(out, Finding{ID: c.id + ".chain", Level: Warn,
			Title:  "certificate of " + c.source + " is self-signed",
			Detail: "Browsers show a warning until the user accepts it; scripts need the certificate pinned.\nSHA-256 fingerprint (compare it with what the browser shows): " + tlsx.Fingerprint(leaf),
			Fix:    "Use a certificate from a CA the browsers trust (e.g. Let's Encrypt), " + c.renew + ";\nor accept the warning once after checking the fingerprint."})
	case errors.As(err, &unknown):
		detail := "The certificate was issued by " + issuerName(leaf) + ", which is neither a trusted root nor in the chain sent with it."
		if len(c.chain) == 1 {
			detail += "\nOnly the leaf certificate is there: the intermediate certificate(s) are missing. Some browsers fetch them themselves, curl, Python and Go clients do not."
		}
		out = append(out, Finding{ID: c.id + ".chain", Level: Error,
			Title:  "certificate chain of " + c.source + " is incomplete or from an unknown CA",
			Detail: detail,
			Fix:    "Put the whole chain in the certificate file, leaf first then the intermediates (certbot: fullchain.pem, not cert.pem), " + c.renew + "."})
	default:
		out = append(out, Finding{ID: c.id + ".chain", Level: Error,
			Title:  "certificate chain of " + c.source + " does not verify",
			Detail: err.Error(),
			Fix:    "Replace the certificate, " + c.renew + "."})
	}

	if len(c.names) > 0 {
		var missing []string
		for _, n := range c.names {
			if leaf.VerifyHostname(n) != nil {
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 {
			out = append(out, Finding{ID: c.id + ".names", Level: OK,
				Title: "certificate covers " + strings.Join(c.names, ", ")})
		} else {
			out = append(out, Finding{ID: c.id + ".names", Level: Error,
				Title:  "certificate does not cover " + strings.Join(missing, ", "),
				Detail: "Clients reach the server as " + strings.Join(missing, ", ") + " but the certificate of " + c.source + " names only: " + certNames(leaf) + ".\nBrowsers refuse the connection (NET::ERR_CERT_COMMON_NAME_INVALID); the common name alone does not count.",
				Fix:    "Get a certificate whose Subject Alternative Names include " + strings.Join(missing, ", ") + ", " + c.renew + ";\nor reach the server by a name the certificate covers."})
		}
	}

	left := leaf.NotAfter.Sub(c.now)
	date := leaf.NotAfter.UTC().Format(time.DateOnly)
	switch {
	case c.now.Before(leaf.NotBefore):
		out = append(out, Finding{ID: c.id + ".expiry", Level: Error,
			Title:  "certificate is not valid yet (from " + leaf.NotBefore.UTC().Format(time.RFC3339) + ")",
			Detail: "Either it was just issued and this machine's clock is behind, or the clock is wrong.",
			Fix:    "Set the clock right (timedatectl set-ntp true), or wait until it is valid."})
	case left <= 0:
		out = append(out, Finding{ID: c.id + ".expiry", Level: Error,
			Title:  "certificate expired on " + date,
			Detail: fmt.Sprintf("The certificate of %s expired %d days ago; browsers refuse it.", c.source, int(-left.Hours()/24)),
			Fix:    "Renew it, " + c.renew + "."})
	case left < expiryWarning:
		out = append(out, Finding{ID: c.id + ".expiry", Level: Warn,
			Title:  fmt.Sprintf("certificate expires in %d days (%s)", int(left.Hours()/24), date),
			Detail: "Automatic renewal usually happens 30 days before expiry; this one has not been renewed.",
			Fix:    "Renew it now, " + c.renew + ", and check that renewal is automated (certbot renew --dry-run)."})
	default:
		out = append(out, Finding{ID: c.id + ".expiry", Level: OK,
			Title: fmt.Sprintf("certificate valid for %d more days (until %s)", int(left.Hours()/24), date)})
	}
	return out
}

func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func issuerName(c *x509.Certificate) string {
	if n := c.Issuer.CommonName; n != "" {
		return n
	}
	return c.Issuer.String()
}

// certNames lists the names a certificate covers (DNS names and IP
// addresses), or says it has none.
func certNames(c *x509.Certificate) string {
	var n []string
	n = append(n, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		n = append(n, ip.String())
	}
	if len(n) == 0 {
		return "nothing (no Subject Alternative Names; common name " + c.Subject.CommonName + " is ignored)"
	}
	return strings.Join(n, ", ")
}
