package app

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"quire/internal/auth"
	"quire/internal/config"
	"quire/internal/contents/fsstore"
	"quire/internal/contents/s3store"
	"quire/internal/doctor"
	"quire/internal/errkind"
	"quire/internal/kernel"
	"quire/internal/kernelspec"
)

const doctorUsage = `Usage: quire doctor [URL] [--json] [options of quire serve]

Without a URL, checks this machine's setup with the options quire serve
would use (flags, QUIRE_* variables, config file): the bind address
against authentication and TLS, the certificate, file modes of the data
and runtime dirs, config file and cookie secret, unknown config keys,
kernelspecs, the kernel transport, the trash, free disk space, and
servers already running.

With a URL, checks a running deployment from the outside, as a browser
would: DNS, TLS (chain, names, expiry, version), the redirect from
http://, HSTS, that the API and pages ask for credentials, that the
server's idea of its scheme, host and base URL matches the URL, clock
skew, and, given the token (QUIRE_TOKEN=...) or the password
(QUIRE_PASSWORD=...), that a kernel WebSocket gets through the proxy.

Every finding that is not ok says what is wrong and the exact fix.
Exit status: 0 all ok, 1 warnings, 2 errors.`

func runDoctor(ctx context.Context, args []string, env envFunc, stdout, stderr io.Writer) int {
	var asJSON bool
	var timeout time.Duration
	var rest, unknown []string
	// "quire doctor URL --json" as well as options first.
	var target string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		target, args = args[0], args[1:]
	}
	cfg, err := config.LoadCommand(args, env, stderr, config.Command{
		Name:  "quire doctor",
		Usage: doctorUsage,
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print the findings as JSON: {schema, target, status, findings: [{id, level, title, detail, fix}]}")
			fs.DurationVar(&timeout, "timeout", 10*time.Second, "how long each remote request may take, default 10s (the WebSocket check gets three times as long)")
		},
		Args:        &rest,
		UnknownKeys: &unknown,
	})
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var rep *doctor.Report
	switch {
	case err != nil && strings.HasSuffix(err.Error(), "(see quire doctor --help)"): // config.FlagError: a mistake on the command line
		fmt.Fprintln(stderr, "quire doctor:", err)
		return 2
	case err != nil:
		rep = &doctor.Report{Target: "this machine's setup", Findings: []doctor.Finding{{
			ID: "config.invalid", Level: doctor.Error, Title: "quire serve would refuse these settings",
			Detail: err.Error(), Fix: "Correct the setting named above (flag, QUIRE_* variable or config file)."}}}
	default:
		if target == "" && len(rest) > 0 {
			target, rest = rest[0], rest[1:]
		}
		if len(rest) > 0 {
			fmt.Fprintf(stderr, "quire doctor: unexpected argument %q (see quire doctor --help)\n", rest[0])
			return 2
		}
		if target != "" {
			rep = doctor.Remote(ctx, doctor.Target{URL: target, Token: doctorToken(cfg, env), Password: cfg.Password, Timeout: timeout})
			break
		}
		rep = doctor.Local(ctx, localSetup(cfg, env, unknown))
		// With --public-url and a server running, the deployment is checked
		// from the outside too, at the URL its users type.
		if cfg.PublicURL != "" && serverRunning(rep) {
			remote := doctor.Remote(ctx, doctor.Target{URL: cfg.PublicURL, Token: doctorToken(cfg, env), Password: cfg.Password, Timeout: timeout})
			rep.Target += " and " + remote.Target
			rep.Findings = append(rep.Findings, remote.Findings...)
		}
	}
	if asJSON {
		if err := rep.WriteJSON(stdout); err != nil {
			fmt.Fprintln(stderr, "quire doctor:", err)
			return 2
		}
	} else {
		rep.WriteText(stdout)
	}
	return rep.ExitCode()
}

// serverRunning: the local checks found a Quire server that answers.
func serverRunning(r *doctor.Report) bool {
	for _, f := range r.Findings {
		if strings.HasPrefix(f.ID, "server.running:") && f.Level == doctor.OK {
			return true
		}
	}
	return false
}

// doctorToken is the token the remote checks authenticate with: --token or
// QUIRE_TOKEN, else JUPYTER_TOKEN, as quire serve settles it.
func doctorToken(cfg *config.Config, env envFunc) string {
	if cfg.TokenSet {
		return cfg.Token
	}
	return env.get("JUPYTER_TOKEN")
}

// localSetup is what doctor.Local needs to know of cfg, settled the way
// quire serve settles it.
func localSetup(cfg *config.Config, env envFunc, unknown []string) doctor.Setup {
	password := cfg.PasswordHash != "" || cfg.Password != ""
	token := !password // generated at start
	if cfg.TokenSet {
		token = cfg.Token != ""
	} else if t, ok := env("JUPYTER_TOKEN"); ok {
		token = t != ""
	}
	host, _ := os.Hostname()
	var proxies []string
	for _, p := range cfg.TrustedProxies {
		proxies = append(proxies, p.String())
	}
	s := doctor.Setup{
		ConfigFile:      cfg.ConfigFile,
		UnknownKeys:     unknown,
		KnownKeys:       config.Keys(),
		IP:              cfg.IP,
		Wildcard:        wildcardIP(cfg.IP),
		Loopback:        loopbackOnly(cfg.IP),
		Port:            cfg.Port,
		PortRetries:     cfg.PortRetries,
		Sock:            cfg.Sock,
		Token:           token,
		Password:        password,
		TrustedProxies:  proxies,
		CertFile:        cfg.CertFile,
		KeyFile:         cfg.KeyFile,
		SelfSigned:      cfg.TLS == "self-signed",
		SelfSignedDir:   selfSignedDir(cfg),
		Hostname:        host,
		RootDir:         cfg.RootDir,
		DataDir:         cfg.DataDir,
		RuntimeDir:      cfg.RuntimeDir,
		CookieSecret:    filepath.Join(cfg.DataDir, auth.SecretFile),
		KernelSpecDirs:  kernelSpecDirs(cfg, env),
		KernelTransport: cfg.KernelTransport,
		TransportErr:    kernel.CheckRuntimeDir(cfg.RuntimeDir, cfg.KernelTransport),
		DeleteToTrash:   cfg.DeleteToTrash,
		AuditLog:        cfg.AuditLog,
		TrashCan:        fsstore.TrashCan,
		Probe:           probeServer,
	}
	if cfg.ContentsStore != "" {
		// Kernels run, and the disk checks apply, in the kernel root; the
		// trash is inside the bucket.
		s.RootDir, s.TrashCan = cfg.KernelRootDir, nil
		s.S3 = &doctor.S3Store{Store: cfg.ContentsStore, Probe: func(ctx context.Context) (bool, error) {
			st, err := s3store.New(s3store.Options{
				Bucket: cfg.S3Bucket, Prefix: cfg.S3Prefix, Endpoint: cfg.S3Endpoint, Region: cfg.S3Region,
				PathStyle: cfg.S3PathStyle, CAFile: cfg.S3CA, SSE: cfg.S3SSE, Timeout: cfg.S3Timeout, Retries: -1,
			})
			if err != nil {
				return false, err
			}
			cond, err := st.Probe(ctx)
			if err != nil {
				msg, _ := errkind.Message(err)
				return false, errors.New(msg)
			}
			return cond, nil
		}}
	}
	if cfg.ConfigFile != "" {
		// The file alone, read by the same parser: does it hold a secret?
		var ignore []string
		fileOnly, err := config.LoadCommand([]string{"--config", cfg.ConfigFile}, func(string) (string, bool) { return "", false },
			io.Discard, config.Command{UnknownKeys: &ignore})
		s.ConfigSecrets = err == nil && (fileOnly.Token != "" || fileOnly.PasswordHash != "")
	}
	if servers, err := runningServers(cfg.RuntimeDir); err == nil {
		for _, i := range servers {
			s.Servers = append(s.Servers, doctor.Server{PID: i.PID, URL: i.URL, Port: i.Port, Sock: i.Sock})
		}
	}
	return s
}

// probeServer asks a running server's public GET {base}api. It sends no
// credentials; a self-signed certificate is accepted, since only
// liveness is judged.
func probeServer(ctx context.Context, s doctor.Server) error {
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true} //nolint:gosec // liveness only, no credentials sent
	target := s.URL + "api"
	if s.Sock != "" {
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", s.Sock)
		}
		u, err := neturl.Parse(s.URL)
		if err != nil {
			return err
		}
		target = "http://localhost" + u.Path + "api"
	}
	req, err := http.NewRequestWithContext(ctx, "GET", target, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", target, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", target, resp.StatusCode)
	}
	return nil
}

// kernelSpecDirs is --kernel-spec-path, then Jupyter's search path.
func kernelSpecDirs(cfg *config.Config, env envFunc) []string {
	return append(append([]string{}, cfg.KernelSpecPath...), kernelspec.SearchPath(env.get)...)
}

// selfSignedDir is where --tls self-signed keeps its certificate.
func selfSignedDir(cfg *config.Config) string { return filepath.Join(cfg.DataDir, "tls") }
