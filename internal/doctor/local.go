package doctor

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"quire/internal/safefile"
	"quire/internal/tlsx"
)

// Setup is what `quire serve` would run with, as the command line,
// QUIRE_* variables and config file say (app fills it from the loaded
// configuration), plus what only app can find out.
type Setup struct {
	ConfigFile  string   // the config file read; "" = none
	UnknownKeys []string // keys of the config file that name no setting
	KnownKeys   []string // every key the config file accepts
	// ConfigSecrets reports that the config file itself sets the token or
	// the password hash.
	ConfigSecrets bool

	IP string
	// Wildcard: IP means every interface; Loopback: binding IP keeps
	// the server to this machine (as quire serve decides both).
	Wildcard, Loopback bool
	Port               int
	PortRetries        int
	Sock               string
	// Token: a token is in use (given or to be generated); Password: a
	// password hash or QUIRE_PASSWORD is set.
	Token, Password bool
	TrustedProxies  []string

	CertFile, KeyFile string
	SelfSigned        bool   // --tls self-signed
	SelfSignedDir     string // where tlsx keeps it
	Hostname          string // this machine's name (os.Hostname)
	// Roots are the CAs a certificate must lead to; nil = the system's.
	Roots *x509.CertPool

	RootDir, DataDir, RuntimeDir string
	CookieSecret                 string // path of the cookie secret file

	KernelSpecDirs  []string
	KernelTransport string
	// TransportErr is what the kernel manager says of the transport with
	// this runtime dir (an ipc socket path too long), nil if fine.
	TransportErr error

	// AuditLog is --audit-log ("" = off, "-" = standard output).
	AuditLog string

	DeleteToTrash bool
	// TrashCan names the trash can deletions under a root dir go to, and
	// the mount point it is relative to ("" for the home trash).
	TrashCan func(rootDir string) (can, topdir string, err error)

	// S3 describes an S3 contents store (--contents-store s3://…); nil
	// when the contents are on disk.
	S3 *S3Store

	// Servers are the Quire servers the runtime dir's info files list.
	Servers []Server
	// Probe reaches a running server (a GET of its {base}api); nil skips
	// the probe.
	Probe func(ctx context.Context, s Server) error

	Now time.Time
}

// S3Store is an S3 contents store to check.
type S3Store struct {
	Store string // s3://BUCKET[/PREFIX], for titles
	// Probe reaches the bucket with the configured credentials and
	// reports whether the service honours conditional writes; its
	// error's text is safe to show (it names no credential).
	Probe func(ctx context.Context) (conditional bool, err error)
}

// Server is a running Quire server, from its runtime info file.
type Server struct {
	PID  int
	URL  string
	Port int
	Sock string
}

// Local checks the setup of this machine.
func Local(ctx context.Context, s Setup) *Report {
	if s.Now.IsZero() {
		s.Now = time.Now()
	}
	r := &Report{Target: "this machine's setup"}
	r.add(configFindings(s)...)
	r.add(bindFindings(s)...)
	r.add(localTLSFindings(s)...)
	r.add(auditFindings(s)...)
	r.add(dirFindings(s)...)
	r.add(kernelFindings(s)...)
	r.add(trashFindings(s)...)
	r.add(s3Findings(ctx, s.S3)...)
	r.add(diskFindings(s.RootDir)...)
	r.add(serverFindings(ctx, s)...)
	return r
}

func configFindings(s Setup) []Finding {
	if s.ConfigFile == "" {
		return []Finding{{ID: "config.file", Level: OK, Title: "no config file (settings from flags, QUIRE_* variables and defaults)"}}
	}
	out := []Finding{{ID: "config.file", Level: OK, Title: "config file " + s.ConfigFile}}
	for _, k := range s.UnknownKeys {
		f := Finding{ID: "config.unknown-key:" + k, Level: Error,
			Title:  fmt.Sprintf("unknown key %q in %s", k, s.ConfigFile),
			Detail: "quire serve refuses to start with a key it does not know, so a misspelt setting is never silently ignored."}
		if near := closest(k, s.KnownKeys); near != "" {
			f.Title += fmt.Sprintf(" (did you mean %q?)", near)
			f.Fix = fmt.Sprintf("Rename %q to %q in %s.", k, near, s.ConfigFile)
		} else {
			f.Fix = fmt.Sprintf("Remove %q from %s; quire --help lists the settings (a key is an option's name, with - or _).", k, s.ConfigFile)
		}
		out = append(out, f)
	}
	fi, err := os.Stat(s.ConfigFile)
	if err != nil {
		return append(out, Finding{ID: "config.mode", Level: Error, Title: "cannot stat the config file", Detail: err.Error()})
	}
	mode := fi.Mode().Perm()
	switch {
	case mode&0o022 != 0:
		out = append(out, Finding{ID: "config.mode", Level: Error,
			Title:  fmt.Sprintf("config file is writable by group or others (mode %04o)", mode),
			Detail: "Another user could change your settings: listen on every interface, drop the token, serve another directory.",
			Fix:    "chmod 600 " + shellQuote(s.ConfigFile)})
	case mode&0o044 != 0 && s.ConfigSecrets:
		out = append(out, Finding{ID: "config.mode", Level: Error,
			Title:  fmt.Sprintf("config file holds the token or password hash and is readable by group or others (mode %04o)", mode),
			Detail: "Other users of this machine can read the token (and log in), or the password hash (and guess the password offline).",
			Fix:    "chmod 600 " + shellQuote(s.ConfigFile)})
	case mode&0o044 != 0:
		out = append(out, Finding{ID: "config.mode", Level: Warn,
			Title:  fmt.Sprintf("config file is readable by group or others (mode %04o)", mode),
			Detail: "It holds no credential now, but `quire password --write` would store the password hash in it.",
			Fix:    "chmod 600 " + shellQuote(s.ConfigFile)})
	default:
		out = append(out, Finding{ID: "config.mode", Level: OK, Title: fmt.Sprintf("config file is private (mode %04o)", mode)})
	}
	if dir := filepath.Dir(s.ConfigFile); dirWritableByOthers(dir) {
		out = append(out, Finding{ID: "config.dir-mode", Level: Error,
			Title:  "config dir " + dir + " is writable by group or others",
			Detail: "Another user could replace the config file with one of theirs.",
			Fix:    "chmod go-w " + shellQuote(dir)})
	} else {
		out = append(out, Finding{ID: "config.dir-mode", Level: OK, Title: "config dir " + dir + " is writable by you only"})
	}
	return out
}

func dirWritableByOthers(dir string) bool {
	fi, err := os.Stat(dir)
	return err == nil && fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0
}

func bindFindings(s Setup) []Finding {
	tls := s.CertFile != "" || s.SelfSigned
	auth := s.Token || s.Password
	where := "--ip " + s.IP
	if s.Wildcard {
		where = "every interface (--ip " + s.IP + ")"
	}
	var out []Finding
	switch {
	case s.Sock != "":
		out = append(out, Finding{ID: "bind.address", Level: OK, Title: "listens on Unix socket " + s.Sock + " (this machine only, mode 0600)"})
	case s.Loopback:
		title := "listens on " + net.JoinHostPort(s.IP, strconv.Itoa(s.Port)) + " (this machine only)"
		if len(s.TrustedProxies) > 0 {
			title += "; behind a proxy: check the public URL with quire doctor URL"
		}
		out = append(out, Finding{ID: "bind.address", Level: OK, Title: title})
	case !auth:
		out = append(out, Finding{ID: "bind.auth", Level: Error,
			Title:  "listens on " + where + " without authentication",
			Detail: "Anyone who can reach this machine could run code as you; quire serve refuses to start like this.",
			Fix:    "Set a password (quire password --write) or keep a token (drop --token ''),\nor listen on this machine only: --ip 127.0.0.1 (behind a reverse proxy) or --sock PATH."})
	case !tls:
		fix := "Serve TLS yourself: --tls self-signed, or --certfile FILE --keyfile FILE;\nor keep Quire on this machine behind a TLS reverse proxy: --ip 127.0.0.1 --trusted-proxy 127.0.0.1."
		detail := "The token, password, cookies and notebooks cross the network in clear text; anyone on the path can read them and take over the session."
		if len(s.TrustedProxies) > 0 {
			detail += "\nA --trusted-proxy is set: if the proxy runs on this machine, bind to 127.0.0.1 so that only the proxy reaches Quire; if it runs elsewhere, its hop to Quire is unencrypted."
		}
		out = append(out, Finding{ID: "bind.tls", Level: Error, Title: "listens on " + where + " without TLS", Detail: detail, Fix: fix})
	default:
		out = append(out, Finding{ID: "bind.address", Level: OK, Title: "listens on " + where + " with TLS and authentication"})
	}
	if s.Sock == "" && s.Port > 0 && s.Port < 1024 && os.Geteuid() != 0 {
		out = append(out, Finding{ID: "bind.port", Level: Error,
			Title:  fmt.Sprintf("port %d needs root (or CAP_NET_BIND_SERVICE)", s.Port),
			Detail: "Ports below 1024 are privileged; quire serve would fail with \"permission denied\".",
			Fix:    "Use --port 8888 behind a reverse proxy on 443, or grant the capability: setcap cap_net_bind_service=+ep $(command -v quire)"})
	}
	return out
}

// auditFindings warns of a server reachable from the network that keeps
// no audit log, and checks that a log file can be created.
func auditFindings(s Setup) []Finding {
	public := s.Sock == "" && !s.Loopback
	switch {
	case s.AuditLog == "" && public:
		return []Finding{{ID: "audit.log", Level: Warn,
			Title:  "listens on the network without an audit log",
			Detail: "Nothing records who logged in, changed files or ran kernels, nor the requests refused.",
			Fix:    "Keep one: --audit-log /var/log/quire/audit.log (reopened on SIGHUP, for logrotate); check it with quire audit verify."}}
	case s.AuditLog == "", s.AuditLog == "-":
		return nil
	}
	dir := filepath.Dir(s.AuditLog)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return []Finding{{ID: "audit.log", Level: Error,
			Title:  "the audit log's directory " + dir + " does not exist",
			Detail: "quire serve would refuse to start: it cannot create " + s.AuditLog + ".",
			Fix:    "mkdir -p " + shellQuote(dir) + ", or point --audit-log elsewhere."}}
	}
	return []Finding{{ID: "audit.log", Level: OK, Title: "audit log " + s.AuditLog}}
}

// tlsNames are the names clients are expected to use to reach the server:
// the --ip when it is a specific address or name, else this machine's
// host name.
func tlsNames(s Setup) []string {
	switch {
	case s.Sock != "":
		return nil
	case !s.Wildcard:
		return []string{strings.Trim(s.IP, "[]")}
	case s.Hostname != "":
		return []string{s.Hostname}
	}
	return nil
}

func localTLSFindings(s Setup) []Finding {
	switch {
	case s.CertFile != "":
		if _, err := tlsx.LoadFiles(s.CertFile, s.KeyFile); err != nil && !errors.Is(err, tlsx.ErrExpired) {
			return []Finding{{ID: "cert.files", Level: Error, Title: "TLS certificate or key cannot be used",
				Detail: err.Error(), Fix: "Give --certfile the PEM certificate chain and --keyfile its private key (certbot: fullchain.pem and privkey.pem)."}}
		}
		chain, err := readChain(s.CertFile)
		if err != nil {
			return []Finding{{ID: "cert.files", Level: Error, Title: "TLS certificate cannot be read", Detail: err.Error()}}
		}
		out := []Finding{{ID: "cert.files", Level: OK, Title: "TLS certificate and key match"}}
		out = append(out, certFindings(certCheck{id: "cert", chain: chain, names: tlsNames(s), roots: s.Roots, now: s.Now,
			source: "--certfile " + s.CertFile, renew: "then restart Quire"})...)
		if fi, err := os.Stat(s.KeyFile); err == nil && fi.Mode().Perm()&0o077 != 0 {
			out = append(out, Finding{ID: "cert.key-mode", Level: Warn,
				Title:  fmt.Sprintf("TLS private key is readable by group or others (mode %04o)", fi.Mode().Perm()),
				Detail: "Whoever reads it can impersonate the server.",
				Fix:    "chmod 600 " + shellQuote(s.KeyFile)})
		}
		return out
	case s.SelfSigned:
		p := filepath.Join(s.SelfSignedDir, tlsx.CertName)
		chain, err := readChain(p)
		if errors.Is(err, fs.ErrNotExist) {
			return []Finding{{ID: "cert.self-signed", Level: OK, Title: "self-signed certificate: made at the first start (" + p + ")"}}
		}
		if err != nil {
			return []Finding{{ID: "cert.self-signed", Level: OK, Title: "self-signed certificate unreadable: quire serve makes a new one", Detail: err.Error()}}
		}
		left := int(chain[0].NotAfter.Sub(s.Now).Hours() / 24)
		return []Finding{{ID: "cert.self-signed", Level: OK,
			Title: fmt.Sprintf("self-signed certificate, %d days left (renewed at start within 30 days of expiry); fingerprint %s", left, tlsx.Fingerprint(chain[0]))}}
	}
	return nil
}

// readChain reads every certificate of a PEM file, in order.
func readChain(path string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var chain []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate file %s: %w", path, err)
		}
		chain = append(chain, c)
	}
	if len(chain) == 0 {
		return nil, fmt.Errorf("certificate file %s: no CERTIFICATE block", path)
	}
	return chain, nil
}

// privateDir judges a directory that holds private files: it must pass
// safefile.CheckDir (what quire serve requires); readable by others is
// a warning.
func privateDir(id, what, dir, flag string) Finding {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return Finding{ID: id, Level: OK, Title: what + " " + dir + " does not exist yet (created with mode 0700 at start)"}
	}
	if err := safefile.CheckDir(dir); err != nil {
		return Finding{ID: id, Level: Error, Title: what + " " + dir + " cannot hold private files",
			Detail: err.Error() + "\nquire serve refuses to start.", Fix: "chmod 700 " + shellQuote(dir) + ", or choose another directory with " + flag + "."}
	}
	if m := fi.Mode().Perm(); m&0o077 != 0 {
		return Finding{ID: id, Level: Warn, Title: fmt.Sprintf("%s %s is open to group or others (mode %04o)", what, dir, m),
			Detail: "The files in it are private (mode 0600), but others can see their names.", Fix: "chmod 700 " + shellQuote(dir)}
	}
	return Finding{ID: id, Level: OK, Title: fmt.Sprintf("%s %s is private (mode %04o)", what, dir, fi.Mode().Perm())}
}

func dirFindings(s Setup) []Finding {
	out := []Finding{
		privateDir("dirs.data", "data dir", s.DataDir, "--data-dir"),
		privateDir("dirs.runtime", "runtime dir", s.RuntimeDir, "--runtime-dir (or JUPYTER_RUNTIME_DIR)"),
	}
	if fi, err := os.Stat(s.RootDir); err != nil || !fi.IsDir() {
		out = append(out, Finding{ID: "dirs.root", Level: Error, Title: "root directory " + s.RootDir + " does not exist or is not a directory",
			Fix: "Create it, or serve another one with --root-dir DIR."})
	}
	fi, err := os.Lstat(s.CookieSecret)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		out = append(out, Finding{ID: "dirs.cookie-secret", Level: OK, Title: "cookie secret: made at the first start (mode 0600)"})
	case err != nil:
		out = append(out, Finding{ID: "dirs.cookie-secret", Level: Error, Title: "cookie secret cannot be read", Detail: err.Error()})
	case !fi.Mode().IsRegular():
		out = append(out, Finding{ID: "dirs.cookie-secret", Level: Error, Title: "cookie secret " + s.CookieSecret + " is not a regular file",
			Detail: "quire serve refuses to start.", Fix: "rm " + shellQuote(s.CookieSecret) + " (a new one is made at start; everybody is logged out)"})
	case fi.Mode().Perm()&0o077 != 0:
		out = append(out, Finding{ID: "dirs.cookie-secret", Level: Error,
			Title:  fmt.Sprintf("cookie secret is readable by group or others (mode %04o)", fi.Mode().Perm()),
			Detail: "Whoever reads it can forge login cookies. quire serve refuses to start.",
			Fix:    "chmod 600 " + shellQuote(s.CookieSecret) + "\nand, since it may have been read, replace it: rm " + shellQuote(s.CookieSecret) + " (everybody is logged out)."})
	default:
		out = append(out, Finding{ID: "dirs.cookie-secret", Level: OK, Title: "cookie secret is private (mode 0600)"})
	}
	return out
}

// shellQuote quotes p for a POSIX shell when it needs it.
func shellQuote(p string) string {
	if p != "" && strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,") == "" {
		return p
	}
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}

// s3Findings checks an S3 contents store: reachable with the credentials
// found, and whether saves are conflict-safe between servers.
func s3Findings(ctx context.Context, st *S3Store) []Finding {
	if st == nil || st.Probe == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cond, err := st.Probe(ctx)
	if err != nil {
		return []Finding{{ID: "s3.reach", Level: Error, Title: "S3 store " + st.Store + " does not answer", Detail: err.Error(),
			Fix: "Check --s3-endpoint, --s3-region, --s3-path-style and the credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity or instance metadata), and that the bucket exists."}}
	}
	out := []Finding{{ID: "s3.reach", Level: OK, Title: "S3 store " + st.Store + " answers"}}
	if cond {
		return append(out, Finding{ID: "s3.conditional", Level: OK, Title: "S3 conditional writes: saves are conflict-safe between servers sharing the bucket"})
	}
	return append(out, Finding{ID: "s3.conditional", Level: Warn, Title: "S3 service ignores conditional writes: a race window remains",
		Detail: "Saves guarded by If-Match compare the object's ETag and then write; two servers saving the same notebook within that window can overwrite each other.",
		Fix:    "Use an S3 service that honours If-Match / If-None-Match on PUT (AWS S3, versitygw, recent MinIO), or run one server per user."})
}
