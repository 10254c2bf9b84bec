package config_test

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"quire/internal/config"
)

func TestACMESettings(t *testing.T) {
	acme := []string{"--port", "443", "--acme-domain", "Notebook.Example.org."}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string // error substring; "" = accepted
		// checked when accepted
		domains []string
		dir     string
	}{
		{"off by default", nil, nil, "", nil, "letsencrypt"},
		{"one domain, normalised", acme, nil, "", []string{"notebook.example.org"}, config.LetsEncrypt},
		{"repeated and deduplicated", append(acme, "--acme-domain", "b.example.org", "--acme-domain", "NOTEBOOK.example.org"), nil, "", []string{"notebook.example.org", "b.example.org"}, config.LetsEncrypt},
		{"from the environment", []string{"--port", "443"}, map[string]string{"QUIRE_ACME_DOMAIN": "a.example.org,b.example.org"}, "", []string{"a.example.org", "b.example.org"}, config.LetsEncrypt},
		{"staging by name", append(acme, "--acme-directory", "letsencrypt-staging"), nil, "", []string{"notebook.example.org"}, config.LetsEncryptStaging},
		{"directory URL", append(acme, "--acme-directory", "https://ca.internal:14000/dir"), nil, "", []string{"notebook.example.org"}, "https://ca.internal:14000/dir"},
		{"HTTP-01 off", append(acme, "--acme-http-port", "0"), nil, "", []string{"notebook.example.org"}, config.LetsEncrypt},
		{"EAB pair", append(acme, "--acme-eab-kid", "k", "--acme-eab-hmac", "c2VjcmV0"), nil, "", []string{"notebook.example.org"}, config.LetsEncrypt},

		{"certfile", append(acme, "--certfile", "c", "--keyfile", "k"), nil, "--acme-domain and --certfile/--keyfile exclude each other", nil, ""},
		{"self-signed", append(acme, "--tls", "self-signed"), nil, "--acme-domain and --tls self-signed exclude each other", nil, ""},
		{"socket", append(acme, "--sock", "/tmp/q.sock"), nil, "--sock listens on a Unix socket only", nil, ""},
		{"port 0", []string{"--port", "0", "--acme-domain", "a.example.org"}, nil, "needs a fixed --port", nil, ""},
		{"port retries", append(acme, "--port-retries", "3"), nil, "--port-retries", nil, ""},
		{"same ports", append(acme, "--acme-http-port", "443"), nil, "--acme-http-port 443 is also --port", nil, ""},
		{"HTTP port out of range", append(acme, "--acme-http-port", "70000"), nil, "is not a TCP port", nil, ""},
		{"half EAB", append(acme, "--acme-eab-hmac", "c2VjcmV0"), nil, "go together", nil, ""},
		{"renew-before too long", append(acme, "--acme-renew-before", "721h"), nil, "more than 30 days", nil, ""},
		{"two e-mails", append(acme, "--acme-email", "a@x.org,b@x.org"), nil, "not one e-mail address", nil, ""},
		{"not an e-mail", append(acme, "--acme-email", "admin"), nil, "not one e-mail address", nil, ""},
		{"http directory", append(acme, "--acme-directory", "http://ca.internal/dir"), nil, "want letsencrypt, letsencrypt-staging or the https:// URL", nil, ""},
		{"unknown directory name", append(acme, "--acme-directory", "zerossl"), nil, "want letsencrypt", nil, ""},
		{"wildcard", []string{"--port", "443", "--acme-domain", "*.example.org"}, nil, "DNS-01", nil, ""},
		{"IP address", []string{"--port", "443", "--acme-domain", "192.0.2.1"}, nil, "an IP address", nil, ""},
		{"single label", []string{"--port", "443", "--acme-domain", "localhost"}, nil, "fully qualified", nil, ""},
		{"with port", []string{"--port", "443", "--acme-domain", "a.example.org:443"}, nil, "bare host name", nil, ""},
		{"URL", []string{"--port", "443", "--acme-domain", "https://a.example.org"}, nil, "bare host name", nil, ""},
		{"underscore", []string{"--port", "443", "--acme-domain", "a_b.example.org"}, nil, "letters, digits and hyphens", nil, ""},
		{"non-ASCII", []string{"--port", "443", "--acme-domain", "bücher.example"}, nil, "xn--", nil, ""},
		{"leading hyphen", []string{"--port", "443", "--acme-domain", "-a.example.org"}, nil, "hyphen", nil, ""},
		{"empty label", []string{"--port", "443", "--acme-domain", "a..example.org"}, nil, "label", nil, ""},
		{"email without domain", []string{"--acme-email", "a@example.org"}, nil, "--acme-email needs --acme-domain", nil, ""},
		{"directory without domain", []string{"--acme-directory", "letsencrypt-staging"}, nil, "--acme-directory needs --acme-domain", nil, ""},
		{"HTTP port without domain", nil, map[string]string{"QUIRE_ACME_HTTP_PORT": "8080"}, "--acme-http-port needs --acme-domain", nil, ""},
		{"EAB without domain", []string{"--acme-eab-kid", "k"}, nil, "--acme-eab-kid needs --acme-domain", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"HOME": t.TempDir()}
			for k, v := range tc.env {
				env[k] = v
			}
			c, err := config.Load(tc.args, envOf(env), io.Discard)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err %v, want one saying %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.ACME.Domains, tc.domains) || c.ACME.Directory != tc.dir {
				t.Errorf("domains %q directory %q, want %q %q", c.ACME.Domains, c.ACME.Directory, tc.domains, tc.dir)
			}
			if got, want := c.TLSEnabled(), len(tc.domains) > 0; got != want {
				t.Errorf("TLSEnabled = %v, want %v", got, want)
			}
		})
	}
}

func TestHSTS(t *testing.T) {
	year := 365 * 24 * time.Hour
	for _, tc := range []struct {
		name string
		args []string
		want time.Duration
		err  string
	}{
		{"plain HTTP (applies behind a TLS proxy)", nil, year, ""},
		{"given certificate", []string{"--certfile", "c", "--keyfile", "k"}, year, ""},
		{"ACME", []string{"--port", "443", "--acme-domain", "a.example.org"}, year, ""},
		{"self-signed: off", []string{"--tls", "self-signed"}, 0, ""},
		{"self-signed, asked for", []string{"--tls", "self-signed", "--hsts-max-age", "1h"}, time.Hour, ""},
		{"turned off", []string{"--certfile", "c", "--keyfile", "k", "--hsts-max-age", "0"}, 0, ""},
		{"fractions of a second", []string{"--hsts-max-age", "1.5s"}, 0, "whole seconds"},
		{"negative", []string{"--hsts-max-age", "-1s"}, 0, "duration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(tc.args, envOf(map[string]string{"HOME": t.TempDir()}), io.Discard)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.HSTS(); got != tc.want {
				t.Errorf("HSTS() = %s, want %s", got, tc.want)
			}
		})
	}
}

// The EAB key is a secret: kept out of kernels' and terminals' environment.
func TestEABKeyIsSecret(t *testing.T) {
	if !slices.Contains(config.SecretEnvNames(), "QUIRE_ACME_EAB_HMAC") {
		t.Errorf("QUIRE_ACME_EAB_HMAC is not among %v", config.SecretEnvNames())
	}
	env := config.ChildEnv([]string{"QUIRE_ACME_EAB_HMAC=c2VjcmV0", "QUIRE_ACME_EAB_KID=k"})
	if !slices.Equal(env, []string{"QUIRE_ACME_EAB_KID=k"}) {
		t.Errorf("ChildEnv kept %v", env)
	}
}
