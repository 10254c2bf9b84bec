// Package config holds Quire's settings: defaults, the config file, QUIRE_*
// environment variables and command-line flags, in that order of
// precedence (a flag beats the environment, which beats the file, which
// beats the default), and the checks that refuse unsafe setups.
package config

import (
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"quire/internal/baseurl"
)

// Config is every setting of `quire serve`.
type Config struct {
	ConfigFile string // where settings were read from ("" = none)

	IP          string
	Port        int
	PortRetries int
	Sock        string
	RootDir     string
	BaseURL     string

	// Token is the access token. TokenSet distinguishes "--token ''" (no
	// token) from "not given" (generate one when there is no password).
	Token    string
	TokenSet bool
	// PasswordHash is a Jupyter password hash (argon2: or sha1:...).
	PasswordHash string
	// Password is a plain password from QUIRE_PASSWORD, hashed in memory at
	// start; never read from a flag or file.
	Password string

	CertFile string
	KeyFile  string
	TLS      string // "" or "self-signed"

	NoBrowser      bool
	AllowOrigins   []string
	AllowHosts     []string
	TrustedProxies []netip.Prefix
	// TrustUnixProxy is "--trusted-proxy unix": peers on the --sock
	// socket are trusted proxies.
	TrustUnixProxy bool
	// Behind a reverse proxy (issue #18): the URL users type, the header a
	// trusted proxy names its signed-in user in, and the names it may name.
	PublicURL         string
	TrustedUserHeader string
	AllowedUsers      []string

	DataDir    string
	RuntimeDir string
	// TrustDataDir holds notebook_secret and nbsignatures.db, shared with
	// Jupyter (default: the Jupyter data dir).
	TrustDataDir string

	MaxBodySize int64
	LogFormat   string
	LogLevel    string
	// Audit log (issue #21): the file ("-" for stdout, "" off), what to
	// record of execute_request (off, hash, full) and the refusal records
	// one client may cause a minute.
	AuditLog      string
	AuditExecute  string
	AuditRefusals int

	AllowHidden    bool
	FollowSymlinks bool
	DeleteToTrash  bool

	SessionIdle  time.Duration
	SessionMax   time.Duration
	ShutdownWait time.Duration

	// Kernels.
	KernelSpecPath      []string
	CullIdleTimeout     time.Duration
	CullInterval        time.Duration
	CullConnected       bool
	CullBusy            bool
	KernelShutdownWait  time.Duration
	MaxWSMessageSize    int64
	KernelWSProtocol    string
	OfflineBufferSize   int64
	ClientQueueMessages int
	ClientQueueBytes    int64
	OutputBudget        int64
	OutputTail          int64

	// KernelHeartbeatInterval is how often kernels' hb sockets are pinged
	// (0 = off); KernelHeartbeatMisses unanswered pings in a row mark a
	// kernel whose process still runs unresponsive.
	KernelHeartbeatInterval time.Duration
	KernelHeartbeatMisses   int
	// KernelTransport is how kernels' sockets are reached: "tcp" (ports
	// on 127.0.0.1) or "ipc" (Unix sockets in the runtime dir).
	KernelTransport string

	// HTTP server limits: time to read a request's headers, how long an
	// idle keep-alive connection stays open, and the largest header block.
	HTTPHeaderTimeout time.Duration
	HTTPIdleTimeout   time.Duration
	MaxHeaderSize     int64

	// Connection and body limits (see connlimit.Options): open
	// connections in total and per client address, the time a request
	// body has to arrive (then, once authenticated, a minimum average
	// rate in bytes per second; 0 = none), and the largest body of a
	// request without credentials.
	MaxConns          int
	MaxConnsPerClient int
	HTTPBodyTimeout   time.Duration
	HTTPBodyMinRate   int64
	MaxUnauthBody     int64

	// KernelInfoTimeout is how long a new connection waits for a kernel to
	// answer kernel_info (and for its sockets' handshakes) before going on
	// or giving up.
	KernelInfoTimeout time.Duration
	// WSPingInterval is the time between pings on a kernel WebSocket (no
	// pong within two ends it); WSWriteTimeout bounds one write to it.
	WSPingInterval time.Duration
	WSWriteTimeout time.Duration

	// Login throttling and password checks (see auth.Options).
	LoginChecks         int
	LoginFreeFailures   int
	LoginFailureDelay   time.Duration
	LoginMaxDelay       time.Duration
	LoginGlobalFailures int
	LoginGlobalMaxDelay time.Duration
	LoginMaxTracked     int
	// Device cookies: their lifetime (0 = none issued), and how many
	// failed logins with one of them within LoginDeviceLockout lock it
	// out for as long.
	LoginDeviceMaxAge   time.Duration
	LoginDeviceFailures int
	LoginDeviceLockout  time.Duration
	// MaxSessions bounds the stored browser sessions (least recently
	// used logged out first).
	MaxSessions int
	// TrustedOutputs bounds how many rich outputs the server remembers
	// as its own (kernel output, outputs of trusted notebooks) to decide
	// whether a save may sign a notebook.
	TrustedOutputs int

	// ContentsStore is where notebooks and files live: "" for --root-dir
	// on disk, or "s3://BUCKET[/PREFIX]" (then S3Bucket and S3Prefix are
	// set from it and kernels run in KernelRootDir).
	ContentsStore      string
	S3Bucket, S3Prefix string
	S3Endpoint         string
	S3Region           string
	S3PathStyle        bool
	S3CA               string
	S3SSE              string
	S3Timeout          time.Duration
	S3Retries          int
	// KernelRootDir is where kernels and terminals run when the contents
	// are not on this machine's disk (default: a per-user scratch
	// directory under the user cache dir).
	KernelRootDir string

	// UploadExpiry is how long a chunked upload may go without a chunk
	// before its collected chunks are removed (0 = never).
	UploadExpiry time.Duration
	// BufferCache is how many bytes of large buffers are kept between
	// requests for reuse (0 = none).
	BufferCache int64
	// MaxRequestMemory is the memory contents requests in flight may take
	// together, by their estimated peaks (0 = no bound).
	MaxRequestMemory int64
	// MemoryLimit is the Go runtime's soft memory limit (0 = unset:
	// GOMEMLIMIT, if set, applies).
	MemoryLimit int64

	// Metrics serves Prometheus metrics at {base}metrics, behind the
	// usual authentication.
	Metrics bool
	// MetricsAddr, if set, also serves them without authentication at
	// /metrics on this host:port (loopback when the host is empty).
	MetricsAddr string

	// Terminals turns {base}api/terminals and the terminal WebSocket on.
	Terminals bool
	// TerminalShell is the command a terminal runs, split on spaces
	// ("" = $SHELL, else /bin/sh, as a login shell).
	TerminalShell string
	// TerminalScrollback is the recent output each terminal keeps for a
	// client that connects later.
	TerminalScrollback int64
	// MaxTerminals is the most terminals at once (0 = no limit).
	MaxTerminals int
	// TerminalCullTimeout ends terminals idle this long (0 = never).
	TerminalCullTimeout time.Duration
	// MaxTerminalMessageSize is the largest message a client may send on
	// a terminal WebSocket.
	MaxTerminalMessageSize int64

	// ACME: automatic certificates (tls.go). HSTSMaxAge is the
	// Strict-Transport-Security max-age given (HSTSSet) by --hsts-max-age;
	// HSTS says which applies.
	ACME       ACME
	HSTSMaxAge time.Duration
	HSTSSet    bool
}

// normaliseStore checks --contents-store and the S3 options, and picks
// the kernel root of an S3 store.
func (c *Config) normaliseStore() error {
	if c.S3Retries < 0 {
		return fmt.Errorf("--s3-retries %d must not be negative", c.S3Retries)
	}
	switch key, kms := strings.CutPrefix(c.S3SSE, "aws:kms:"); {
	case c.S3SSE == "", c.S3SSE == "AES256", c.S3SSE == "aws:kms":
	case kms && key != "" && !strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r == 0x7f }):
	default:
		return fmt.Errorf("--s3-sse %q: use AES256, aws:kms or aws:kms:KEY-ID, or leave it empty", c.S3SSE)
	}
	if c.ContentsStore == "" {
		return nil
	}
	rest, ok := strings.CutPrefix(c.ContentsStore, "s3://")
	if !ok {
		return fmt.Errorf("--contents-store %q: use s3://BUCKET[/PREFIX], or leave it empty for --root-dir", c.ContentsStore)
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	if !validBucket(bucket) {
		return fmt.Errorf("--contents-store %q: %q is not an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)", c.ContentsStore, bucket)
	}
	prefix = strings.Trim(prefix, "/")
	for seg := range strings.SplitSeq(prefix, "/") {
		if prefix != "" && (seg == "" || seg == "." || seg == "..") {
			return fmt.Errorf("--contents-store %q: the prefix may not have empty, . or .. segments", c.ContentsStore)
		}
	}
	c.S3Bucket, c.S3Prefix = bucket, prefix
	if c.S3Endpoint != "" {
		u, err := url.Parse(c.S3Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.User != nil {
			return fmt.Errorf("--s3-endpoint %q: use http(s)://host[:port], without a path or credentials", c.S3Endpoint)
		}
	}
	if c.KernelRootDir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return fmt.Errorf("--kernel-root-dir: no user cache directory to default to (%v); give one", err)
		}
		c.KernelRootDir = filepath.Join(cache, "quire", "kernel-root")
	}
	abs, err := filepath.Abs(c.KernelRootDir)
	if err != nil {
		return fmt.Errorf("--kernel-root-dir: %w", err)
	}
	c.KernelRootDir = abs
	return nil
}

// validBucket reports whether b is a DNS-compatible S3 bucket name.
func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 || b[0] == '.' || b[0] == '-' || b[len(b)-1] == '.' || b[len(b)-1] == '-' {
		return false
	}
	for _, r := range b {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// Defaults returns the built-in settings.
func Defaults() Config {
	return Config{
		IP:            "127.0.0.1",
		Port:          8888,
		BaseURL:       "/",
		MaxBodySize:   256 << 20,
		LogFormat:     "text",
		LogLevel:      "info",
		AuditExecute:  "off",
		AuditRefusals: 10,
		DeleteToTrash: true,
		SessionIdle:   24 * time.Hour,
		SessionMax:    30 * 24 * time.Hour,
		ShutdownWait:  30 * time.Second,

		CullInterval:        5 * time.Minute,
		KernelShutdownWait:  5 * time.Second,
		MaxWSMessageSize:    256 << 20,
		OfflineBufferSize:   64 << 20,
		ClientQueueMessages: 65536,
		ClientQueueBytes:    64 << 20,
		OutputBudget:        256 << 20,
		OutputTail:          1 << 20,

		KernelHeartbeatInterval: 3 * time.Second,
		KernelHeartbeatMisses:   5,
		KernelTransport:         "tcp",

		UploadExpiry: time.Hour,
		BufferCache:  128 << 20,
		S3Timeout:    30 * time.Second,
		S3Retries:    3,

		MaxRequestMemory: 4 << 30,

		Metrics:                true,
		Terminals:              true,
		TerminalScrollback:     256 << 10,
		MaxTerminals:           64,
		MaxTerminalMessageSize: 1 << 20,

		HTTPHeaderTimeout: 10 * time.Second,
		HTTPIdleTimeout:   2 * time.Minute,
		MaxHeaderSize:     64 << 10,
		MaxConns:          4096,
		MaxConnsPerClient: 128,
		HTTPBodyTimeout:   10 * time.Second,
		HTTPBodyMinRate:   16 << 10,
		MaxUnauthBody:     4 << 10,
		KernelInfoTimeout: 60 * time.Second,
		WSPingInterval:    30 * time.Second,
		WSWriteTimeout:    60 * time.Second,

		LoginChecks:         2,
		LoginFreeFailures:   5,
		LoginFailureDelay:   time.Second,
		LoginMaxDelay:       15 * time.Minute,
		LoginGlobalFailures: 30,
		LoginGlobalMaxDelay: time.Minute,
		LoginMaxTracked:     10000,
		LoginDeviceMaxAge:   365 * 24 * time.Hour,
		LoginDeviceFailures: 5,
		LoginDeviceLockout:  time.Hour,
		MaxSessions:         10000,
		TrustedOutputs:      65536,

		ACME:       ACME{Directory: "letsencrypt", HTTPPort: 80, Retry: 10 * time.Minute},
		HSTSMaxAge: defaultHSTS,
	}
}

// setting describes one option: its flag name (also the config-file key,
// with "-" or "_", and QUIRE_<NAME> in the environment), its help text and
// how it is stored.
type setting struct {
	name  string
	usage string
	kind  string // "string", "int", "bool", "list", "size", "size0", "duration", "duration0", "cidrs"
	str   *string
	num   *int
	b     *bool
	list  *[]string
	size  *int64
	dur   *time.Duration
	cidrs *[]netip.Prefix
	set   *bool // optional: records that the option was given at all
	// secret marks a setting whose value is a credential: its QUIRE_*
	// variable is kept out of child processes' environments (ChildEnv).
	secret bool
	// zero is what 0 means, for --help of a "duration0" (default "off").
	zero string
}

// defaultText renders the setting's current value for --help, or "" when
// it is empty, zero or false (nothing worth saying).
func (s setting) defaultText() string {
	switch s.kind {
	case "string":
		return *s.str
	case "int":
		if *s.num != 0 {
			return strconv.Itoa(*s.num)
		}
	case "bool":
		if *s.b {
			return "true"
		}
	case "size", "size0":
		if *s.size != 0 {
			return sizeText(*s.size)
		}
	case "duration":
		if *s.dur != 0 {
			return s.dur.String()
		}
	case "duration0":
		if *s.dur == 0 {
			return "0 (" + cmp.Or(s.zero, "off") + ")"
		}
		return s.dur.String()
	}
	return ""
}

// sizeText writes n in the largest binary unit that divides it, as
// ParseSize reads it back ("256MiB").
func sizeText(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

func (c *Config) settings() []setting {
	return []setting{
		{name: "ip", kind: "string", str: &c.IP, usage: "address to listen on (127.0.0.1 = this machine only; 0.0.0.0 = every interface)"},
		{name: "port", kind: "int", num: &c.Port, usage: "TCP port to listen on (0 = pick a free one)"},
		{name: "port-retries", kind: "int", num: &c.PortRetries, usage: "if the port is busy, try this many following ports instead of failing"},
		{name: "sock", kind: "string", str: &c.Sock, usage: "listen on this Unix socket (mode 0600) instead of TCP"},
		{name: "root-dir", kind: "string", str: &c.RootDir, usage: "directory served (default: the current directory)"},
		{name: "base-url", kind: "string", str: &c.BaseURL, usage: "URL prefix of every route, normalised to /x/"},
		{name: "token", kind: "string", str: &c.Token, set: &c.TokenSet, secret: true, usage: "access token; empty string = no token (loopback or socket only); default: a random token unless a password is set"},
		{name: "password-hash", kind: "string", str: &c.PasswordHash, secret: true, usage: "Jupyter password hash (argon2:... or sha1:salt:hex), e.g. from `quire password`; QUIRE_PASSWORD gives a plain password instead"},
		{name: "certfile", kind: "string", str: &c.CertFile, usage: "TLS certificate (PEM)"},
		{name: "keyfile", kind: "string", str: &c.KeyFile, usage: "TLS private key (PEM)"},
		{name: "tls", kind: "string", str: &c.TLS, usage: "\"self-signed\": generate a certificate once, keep it in the data dir and print its fingerprint"},
		{name: "no-browser", kind: "bool", b: &c.NoBrowser, usage: "do not open a browser at start"},
		{name: "allow-origin", kind: "list", list: &c.AllowOrigins, usage: "an origin (scheme://host[:port]) allowed to make cross-origin requests with cookies; exact match; repeatable"},
		{name: "allow-host", kind: "list", list: &c.AllowHosts, usage: "an extra Host name accepted when bound to loopback (DNS-rebinding defence); repeatable"},
		{name: "trusted-proxy", kind: "cidrs", cidrs: &c.TrustedProxies, b: &c.TrustUnixProxy, usage: "CIDR of a reverse proxy whose X-Forwarded-For/-Proto/-Host (or RFC 7239 Forwarded) are believed, or \"unix\" for a proxy connecting to --sock; repeatable"},
		{name: "public-url", kind: "string", str: &c.PublicURL, usage: "the URL users type, e.g. https://notebooks.example.org/jupyter/, when a reverse proxy cannot say it in X-Forwarded-* headers: its origin passes the Origin and Host checks, and it is the URL printed at start"},
		{name: "trusted-user-header", kind: "string", str: &c.TrustedUserHeader, usage: "header, e.g. X-Remote-User, in which a --trusted-proxy names the user its own login signed in; that user needs no token or password. From other peers the header is ignored"},
		{name: "allowed-users", kind: "list", list: &c.AllowedUsers, usage: "the only user names --trusted-user-header may carry (comma-separated or repeated); others get 403"},
		{name: "data-dir", kind: "string", str: &c.DataDir, usage: "where Quire keeps its cookie secret, sessions and certificates (default: <Jupyter data dir>/quire)"},
		{name: "trust-data-dir", kind: "string", str: &c.TrustDataDir, usage: "where notebook trust lives: notebook_secret and nbsignatures.db, shared with Jupyter (default: the Jupyter data dir)"},
		{name: "runtime-dir", kind: "string", str: &c.RuntimeDir, usage: "where runtime files go (default: $JUPYTER_RUNTIME_DIR or <Jupyter data dir>/runtime)"},
		{name: "max-body-size", kind: "size", size: &c.MaxBodySize, usage: "largest request body accepted, e.g. 256MiB; bigger requests get 413"},
		{name: "log-format", kind: "string", str: &c.LogFormat, usage: "log format: text or json"},
		{name: "log-level", kind: "string", str: &c.LogLevel, usage: "log level: debug, info, warn or error"},
		{name: "audit-log", kind: "string", str: &c.AuditLog, usage: "append the audit log (one JSON record a line, hash-chained; see README) to this file, or - for standard output; reopened on SIGHUP (default: off)"},
		{name: "audit-execute", kind: "string", str: &c.AuditExecute, usage: "with --audit-log, record each execute_request: off, hash (kernel, cell id, SHA-256 of the code) or full (the code too)"},
		{name: "audit-refusals", kind: "int", num: &c.AuditRefusals, usage: "most audit records of refused requests (Origin, Host, XSRF, auth) one client causes a minute; the rest are counted"},
		{name: "allow-hidden", kind: "bool", b: &c.AllowHidden, usage: "show and allow access to hidden files (names starting with a dot)"},
		{name: "follow-symlinks", kind: "bool", b: &c.FollowSymlinks, usage: "follow symbolic links that point outside the root directory (refused by default)"},
		{name: "delete-to-trash", kind: "bool", b: &c.DeleteToTrash, usage: "move deleted files to the freedesktop trash instead of removing them"},
		{name: "session-idle", kind: "duration", dur: &c.SessionIdle, usage: "log a browser session out after this long without requests"},
		{name: "session-max", kind: "duration", dur: &c.SessionMax, usage: "log a browser session out this long after login, whatever its activity"},
		{name: "shutdown-wait", kind: "duration", dur: &c.ShutdownWait, usage: "on SIGINT/SIGTERM, how long to let in-flight requests finish"},
		{name: "kernel-spec-path", kind: "list", list: &c.KernelSpecPath, usage: "a directory holding kernelspecs (<dir>/<name>/kernel.json), searched before Jupyter's usual ones; repeatable"},
		{name: "cull-idle-timeout", kind: "duration0", dur: &c.CullIdleTimeout, usage: "shut down kernels idle this long (0 = never)"},
		{name: "cull-interval", kind: "duration", dur: &c.CullInterval, usage: "how often to look for idle kernels"},
		{name: "cull-connected", kind: "bool", b: &c.CullConnected, usage: "also cull idle kernels that have open connections"},
		{name: "cull-busy", kind: "bool", b: &c.CullBusy, usage: "also cull busy kernels"},
		{name: "kernel-shutdown-wait", kind: "duration", dur: &c.KernelShutdownWait, usage: "how long a kernel gets to exit after shutdown_request and after SIGTERM before SIGKILL"},
		{name: "kernel-heartbeat-interval", kind: "duration0", dur: &c.KernelHeartbeatInterval, usage: "how often to ping each kernel's heartbeat socket, waiting as long for the echo; 0 = off (no kernel is then marked unresponsive; a dead one is found by its process exiting either way)"},
		{name: "kernel-heartbeat-misses", kind: "int", num: &c.KernelHeartbeatMisses, usage: "unanswered heartbeats in a row after which a kernel whose process still runs is marked \"unresponsive\" in its model (until it answers again); its state and clients are left alone"},
		{name: "kernel-transport", kind: "string", str: &c.KernelTransport, usage: "how kernels' sockets are reached: tcp (ports on 127.0.0.1, open to every local user; messages stay signed) or ipc (Unix sockets in the runtime dir, open only to this user; the runtime dir's path must be at most 57 bytes)"},
		{name: "contents-store", kind: "string", str: &c.ContentsStore, usage: "where notebooks and files live: empty = --root-dir on this machine's disk, or s3://BUCKET[/PREFIX] for an S3 bucket (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, the shared credentials file and AWS_PROFILE, web identity, instance metadata; never a flag)"},
		{name: "s3-endpoint", kind: "string", str: &c.S3Endpoint, usage: "S3 service URL, e.g. https://minio.example.org or http://127.0.0.1:7070 (default: AWS)"},
		{name: "s3-region", kind: "string", str: &c.S3Region, usage: "the bucket's region (default: found from the service)"},
		{name: "s3-path-style", kind: "bool", b: &c.S3PathStyle, usage: "address the bucket in the URL path (most non-AWS services), not the host name"},
		{name: "s3-ca", kind: "string", str: &c.S3CA, usage: "PEM file of CA certificates trusted for --s3-endpoint, besides the system's"},
		{name: "s3-sse", kind: "string", str: &c.S3SSE, usage: "server-side encryption of each object: empty = the bucket's default, AES256 (SSE-S3), aws:kms (SSE-KMS, the default key) or aws:kms:KEY-ID (SSE-KMS with that key id or ARN)"},
		{name: "s3-timeout", kind: "duration", dur: &c.S3Timeout, usage: "how long one S3 request may take before it fails (and is retried)"},
		{name: "s3-retries", kind: "int", num: &c.S3Retries, usage: "how many times a failed S3 request is tried again, with exponential back-off, before the client gets 502/503 (0 = never)"},
		{name: "kernel-root-dir", kind: "string", str: &c.KernelRootDir, usage: "with an S3 --contents-store: the local directory kernels and terminals run in (they cannot open() an S3 key); default: <user cache dir>/quire/kernel-root"},
		{name: "upload-expiry", kind: "duration0", dur: &c.UploadExpiry, usage: "remove the chunks of an upload (e.g. a cancelled browser upload) after this long without a new chunk; 0 = never"},
		{name: "buffer-cache", kind: "size0", size: &c.BufferCache, usage: "large buffers (request bodies, notebook files) kept for reuse by later requests, in total; dropped after 30s unused; 0 = none"},
		{name: "max-request-memory", kind: "size0", size: &c.MaxRequestMemory, usage: "memory that contents requests in progress may take together, by their estimated peaks (a notebook's GET or PUT about 16 times its size, a file's GET 6 times); past it a request gets 503 with Retry-After, one needing more than all of it 413; 0 = no bound"},
		{name: "memory-limit", kind: "size0", size: &c.MemoryLimit, usage: "soft memory limit of the Go runtime (it collects garbage harder as the heap nears it), e.g. 2GiB; 0 = none, or GOMEMLIMIT's when that is set"},
		{name: "max-ws-message-size", kind: "size", size: &c.MaxWSMessageSize, usage: "largest message a client may send on a kernel WebSocket"},
		{name: "kernel-ws-protocol", kind: "string", str: &c.KernelWSProtocol, usage: "kernel WebSocket protocol: empty = v1.kernel.websocket.jupyter.org when offered, legacy = always the JSON protocol"},
		{name: "offline-buffer-size", kind: "size", size: &c.OfflineBufferSize, usage: "per kernel, how much output to keep for a disconnected client to replay"},
		{name: "client-queue-messages", kind: "int", num: &c.ClientQueueMessages, usage: "messages queued for one WebSocket client before it is disconnected as too slow"},
		{name: "client-queue-bytes", kind: "size", size: &c.ClientQueueBytes, usage: "bytes queued for one WebSocket client before it is disconnected as too slow"},
		{name: "output-budget", kind: "size", size: &c.OutputBudget, usage: "output one cell execution may send; past it the rest is held back and only its last --output-tail bytes are delivered, after a notice saying how much was omitted"},
		{name: "output-tail", kind: "size", size: &c.OutputTail, usage: "how much of the end of an over-budget cell's output is still delivered"},
		{name: "http-header-timeout", kind: "duration", dur: &c.HTTPHeaderTimeout, usage: "time a client has to send a request's headers (slow clients are cut off)"},
		{name: "http-idle-timeout", kind: "duration", dur: &c.HTTPIdleTimeout, usage: "how long an idle keep-alive connection stays open"},
		{name: "max-header-size", kind: "size", size: &c.MaxHeaderSize, usage: "largest block of request headers accepted; bigger ones get 431"},
		{name: "max-conns", kind: "int", num: &c.MaxConns, usage: "open connections in total (WebSockets and idle keep-alive ones included); the newest is refused past it. Connections without credentials get only 7/8 of them: the rest is headroom for clients that authenticate on their first request. Lowered at start to 3/4 of the file descriptor limit if above it"},
		{name: "max-conns-per-client", kind: "int", num: &c.MaxConnsPerClient, usage: "connections without credentials one client address may hold (0 = no cap); --trusted-proxy peers and Unix sockets are exempt"},
		{name: "http-body-timeout", kind: "duration", dur: &c.HTTPBodyTimeout, usage: "time a request body has to arrive in full (else 408); an authenticated request gets more at --http-body-min-rate"},
		{name: "http-body-min-rate", kind: "size0", size: &c.HTTPBodyMinRate, usage: "bytes per second an authenticated request body must average after --http-body-timeout (a 256MiB upload then has 4.5 hours at 16KiB); 0 = no time limit for authenticated bodies"},
		{name: "max-unauth-body", kind: "size", size: &c.MaxUnauthBody, usage: "largest body of a request without credentials (the login form is a few hundred bytes); bigger ones get 413"},
		{name: "kernel-info-timeout", kind: "duration", dur: &c.KernelInfoTimeout, usage: "how long a new kernel connection waits for the kernel to answer kernel_info (then messages are relayed anyway, as jupyter_server does) and for its sockets' handshakes (then it is refused)"},
		{name: "ws-ping-interval", kind: "duration", dur: &c.WSPingInterval, usage: "time between pings on a kernel WebSocket (keeps proxies from closing it); no pong within two intervals closes it"},
		{name: "ws-write-timeout", kind: "duration", dur: &c.WSWriteTimeout, usage: "longest one write to a kernel WebSocket client may take before the connection is closed"},
		{name: "login-checks", kind: "int", num: &c.LoginChecks, usage: "password checks run at once (an argon2 check takes about 10 MiB and a third of a second); 8 times as many wait, more get 429"},
		{name: "login-free-failures", kind: "int", num: &c.LoginFreeFailures, usage: "failed logins from one address before it is throttled"},
		{name: "login-failure-delay", kind: "duration", dur: &c.LoginFailureDelay, usage: "first wait imposed after the free failures; it doubles with each further failure"},
		{name: "login-max-delay", kind: "duration", dur: &c.LoginMaxDelay, usage: "longest wait imposed on one address"},
		{name: "login-global-failures", kind: "int", num: &c.LoginGlobalFailures, usage: "failed logins per minute from all addresses together after which every password check waits"},
		{name: "login-global-max-delay", kind: "duration", dur: &c.LoginGlobalMaxDelay, usage: "longest wait imposed on every password check during a flood"},
		{name: "login-max-tracked", kind: "int", num: &c.LoginMaxTracked, usage: "client addresses whose failed logins are remembered, and as many device cookies (their lockouts and retired copies); past it the least recently used is forgotten (the global throttle still counts it)"},
		{name: "login-device-max-age", kind: "duration0", dur: &c.LoginDeviceMaxAge, usage: "lifetime of the device cookie a browser gets at each successful login; its later logins skip the per-address and global throttles, so a flood of wrong passwords cannot lock the owner out (0 = no device cookies)"},
		{name: "login-device-failures", kind: "int", num: &c.LoginDeviceFailures, usage: "failed logins with one device cookie within --login-device-lockout after which that cookie is locked out (its logins are throttled like a stranger's) for --login-device-lockout"},
		{name: "login-device-lockout", kind: "duration", dur: &c.LoginDeviceLockout, usage: "window in which --login-device-failures failures lock a device cookie out, and how long the lockout lasts"},
		{name: "max-sessions", kind: "int", num: &c.MaxSessions, usage: "browser sessions kept; past it the least recently used one is logged out"},
		{name: "metrics", kind: "bool", b: &c.Metrics, usage: "serve Prometheus metrics at {base}metrics, behind the usual authentication (token, Bearer or login)"},
		{name: "metrics-addr", kind: "string", str: &c.MetricsAddr, usage: "also serve the metrics without authentication at /metrics on this host:port, for a local scraper; an empty host means 127.0.0.1 (e.g. :9464); default: off"},
		{name: "terminals", kind: "bool", b: &c.Terminals, usage: "serve terminals (api/terminals and their WebSocket); false answers 404, as jupyter_server without terminado"},
		{name: "terminal-shell", kind: "string", str: &c.TerminalShell, usage: "command a terminal runs, split on spaces (no quoting); default: $SHELL, else /bin/sh, as a login shell (-l)"},
		{name: "terminal-scrollback", kind: "size0", size: &c.TerminalScrollback, usage: "recent output each terminal keeps for a client that connects later, allocated as output arrives; 0 = none"},
		{name: "max-terminals", kind: "int", num: &c.MaxTerminals, usage: "terminals at once; past it POST api/terminals gets 429; 0 = no limit"},
		{name: "terminal-cull-timeout", kind: "duration0", dur: &c.TerminalCullTimeout, usage: "end terminals without input or output this long, looking every --cull-interval (0 = never)"},
		{name: "max-terminal-message-size", kind: "size", size: &c.MaxTerminalMessageSize, usage: "largest message a client may send on a terminal WebSocket (a larger one closes it with 1009)"},
		{name: "trusted-outputs", kind: "int", num: &c.TrustedOutputs, usage: "rich outputs remembered as this server's own (produced by its kernels, or in notebooks found or made trusted), about 80 bytes each (5 MiB at the default); a save signs a notebook only if all its rich outputs are remembered, so past it the least recently used are forgotten and a notebook still holding one is saved untrusted"},
		// Automatic certificates (tls.go) and HSTS.
		{name: "acme-domain", kind: "list", list: &c.ACME.Domains, usage: "get a certificate for this name from an ACME CA (Let's Encrypt by default) and serve HTTPS with it, renewed before it expires; repeatable. The CA must reach this server as the name on --port (TLS-ALPN-01, usually 443) or --acme-http-port (HTTP-01, usually 80); no other name ever triggers an order"},
		{name: "acme-email", kind: "string", str: &c.ACME.Email, usage: "contact address given to the ACME CA (expiry and policy notices)"},
		{name: "acme-directory", kind: "string", str: &c.ACME.Directory, usage: "ACME CA: letsencrypt, letsencrypt-staging (for trying things out: its certificates are not trusted) or a directory URL (https://...); its terms of service are accepted on your behalf and their URL is logged at start"},
		{name: "acme-ca-root", kind: "string", str: &c.ACME.CARoot, usage: "PEM file of root certificates for Quire's own connections to the ACME server (a private CA); default: the system's roots"},
		{name: "acme-eab-kid", kind: "string", str: &c.ACME.EABKeyID, usage: "key ID of the external account binding, for CAs that require one"},
		{name: "acme-eab-hmac", kind: "string", str: &c.ACME.EABHMAC, secret: true, usage: "HMAC key (base64url, as the CA gives it) of the external account binding"},
		{name: "acme-http-port", kind: "int", num: &c.ACME.HTTPPort, usage: "plain-HTTP port on the same --ip that answers the CA's HTTP-01 challenges and redirects every other request to HTTPS; 0 = none (TLS-ALPN-01 on --port only)"},
		{name: "acme-renew-before", kind: "duration0", dur: &c.ACME.RenewBefore, zero: "a third of the lifetime", usage: "renew a certificate this long before it expires, without a restart (at most 720h); 0 = a third of its lifetime, at most 30 days"},
		{name: "acme-retry", kind: "duration", dur: &c.ACME.Retry, usage: "wait after a failed attempt to get a certificate; it doubles with each further failure up to 4h (or this, if longer). Renewals that fail are retried every 30 to 60 minutes while the current certificate is served"},
		{name: "hsts-max-age", kind: "duration0", dur: &c.HSTSMaxAge, set: &c.HSTSSet, usage: "max-age of the Strict-Transport-Security header on HTTPS responses, in whole seconds; 0 = no header. Default one year, but none with --tls self-signed unless given"},
	}
}

// jupyterAliases maps Jupyter's option names to ours, so that
// `--ServerApp.port=9999` and Jupyter-style config keys keep working.
var jupyterAliases = map[string]string{
	"serverapp.ip":                             "ip",
	"serverapp.port":                           "port",
	"serverapp.port_retries":                   "port-retries",
	"serverapp.sock":                           "sock",
	"serverapp.root_dir":                       "root-dir",
	"serverapp.notebook_dir":                   "root-dir",
	"serverapp.base_url":                       "base-url",
	"serverapp.token":                          "token",
	"identityprovider.token":                   "token",
	"serverapp.password":                       "password-hash",
	"identityprovider.hashed_password":         "password-hash",
	"passwordidentityprovider.hashed_password": "password-hash",
	"serverapp.certfile":                       "certfile",
	"serverapp.keyfile":                        "keyfile",
	"serverapp.allow_origin":                   "allow-origin",
	"serverapp.trusted_proxies":                "trusted-proxy",
	"serverapp.max_body_size":                  "max-body-size",
	"contentsmanager.allow_hidden":             "allow-hidden",
	"filecontentsmanager.delete_to_trash":      "delete-to-trash",
	"kernelmanager.transport":                  "kernel-transport",
}

func canonical(name string) string {
	name = strings.TrimLeft(name, "-")
	if alias, ok := jupyterAliases[strings.ToLower(name)]; ok {
		return alias
	}
	return strings.ReplaceAll(strings.ToLower(name), "_", "-")
}

func envName(name string) string {
	return "QUIRE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Load builds the configuration for `quire serve` from args, the
// environment (lookupEnv, e.g. os.LookupEnv: a variable set to "" counts as
// set, so QUIRE_TOKEN= means "no token") and the config file. On --help the
// usage is written to stderr and flag.ErrHelp returned.
func Load(args []string, lookupEnv func(string) (string, bool), stderr io.Writer) (*Config, error) {
	return LoadCommand(args, lookupEnv, stderr, Command{})
}

// Command is a subcommand that takes every option of `quire serve` (same
// flags, QUIRE_* variables and config file) plus its own: `quire doctor`.
// The zero Command is `quire serve` itself.
type Command struct {
	// Name ("quire doctor") and Usage (its first lines of --help) replace
	// serve's in help and errors.
	Name, Usage string
	// Flags registers the command's own flags on the shared flag set.
	Flags func(*flag.FlagSet)
	// Args, when set, receives the arguments left after the options;
	// otherwise any is an error.
	Args *[]string
	// UnknownKeys, when set, receives the config file's keys that name no
	// setting (as written in the file) instead of failing on the first.
	UnknownKeys *[]string
}

// Keys returns every name the config file accepts: the settings' names
// and the Jupyter aliases (lower case, as matched).
func Keys() []string {
	var c Config
	var out []string
	for _, s := range c.settings() {
		out = append(out, s.name)
	}
	for k := range jupyterAliases {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// LoadCommand is Load for the subcommand cmd.
func LoadCommand(args []string, lookupEnv func(string) (string, bool), stderr io.Writer, cmd Command) (*Config, error) {
	getenv := func(k string) string { v, _ := lookupEnv(k); return v }
	name, help := "quire serve", "quire --help"
	if cmd.Name != "" {
		name, help = cmd.Name, cmd.Name+" --help"
	}
	c := Defaults()
	all := c.settings()
	byName := make(map[string]*setting, len(all))
	for i := range all {
		byName[all[i].name] = &all[i]
	}

	// Flags are parsed first into a separate record, then applied last.
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", "", "JSON config file (default: $QUIRE_CONFIG or ~/.config/quire/config.json when present)")
	noUserConfig := fs.Bool("no-user-config", false, "do not read ~/.config/quire/config.json (--config and $QUIRE_CONFIG still count); JupyterHub's disable_user_config")
	given := map[string][]string{}
	for i := range all {
		s := &all[i]
		name := s.name
		if s.kind == "bool" {
			fs.Func(name, s.usage+" (true/false)", func(v string) error {
				given[name] = append(given[name], v)
				return nil
			})
			// Let "--no-browser" work without a value.
			fs.Lookup(name).Value = boolFlag{name: name, given: given}
			continue
		}
		fs.Func(name, s.usage, func(v string) error {
			given[name] = append(given[name], v)
			return nil
		})
	}
	if cmd.Flags != nil {
		cmd.Flags(fs)
	}
	// The flag package would print every option after a mistake; a typo
	// gets its error and where help is, --help gets the usage.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(normaliseArgs(args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(fs, stderr, cmd.Usage)
			return nil, err
		}
		return nil, FlagError(err, help)
	}
	switch {
	case cmd.Args != nil:
		*cmd.Args = fs.Args()
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected argument %q (options start with --; see %s)", fs.Arg(0), help)
	}

	// File.
	path := *configFile
	if path == "" {
		path = getenv("QUIRE_CONFIG")
	}
	explicit := path != ""
	if path == "" && !*noUserConfig {
		path = DefaultConfigFile(getenv)
	}
	if path != "" {
		vals, err := readFile(path)
		switch {
		case err == nil:
			c.ConfigFile = path
			for key, raw := range vals {
				name := canonical(key)
				s, ok := byName[name]
				if !ok && cmd.UnknownKeys != nil {
					*cmd.UnknownKeys = append(*cmd.UnknownKeys, key)
					continue
				}
				if !ok {
					return nil, fmt.Errorf("config file %s: unknown setting %q", path, key)
				}
				for _, v := range raw {
					if err := s.apply(v); err != nil {
						return nil, fmt.Errorf("config file %s: %s: %w", path, key, err)
					}
				}
			}
		case errors.Is(err, os.ErrNotExist) && !explicit:
		default:
			return nil, err
		}
	}

	// Environment.
	for i := range all {
		s := &all[i]
		v, ok := lookupEnv(envName(s.name))
		if !ok {
			continue
		}
		values := []string{v}
		if s.kind == "list" || s.kind == "cidrs" {
			values = splitList(v)
			s.reset()
		}
		for _, v := range values {
			if err := s.apply(v); err != nil {
				return nil, fmt.Errorf("%s: %w", envName(s.name), err)
			}
		}
	}
	if v := getenv("QUIRE_PASSWORD"); v != "" {
		c.Password = v
	}

	// Flags.
	for name, values := range given {
		s := byName[name]
		if s.kind == "list" || s.kind == "cidrs" {
			s.reset()
		}
		for _, v := range values {
			if err := s.apply(v); err != nil {
				return nil, fmt.Errorf("--%s: %w", name, err)
			}
		}
	}

	if err := c.normalise(getenv); err != nil {
		return nil, err
	}
	return &c, nil
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// normaliseArgs turns `--ServerApp.port=9999` into `--port=9999`.
func normaliseArgs(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if strings.HasPrefix(a, "-") && strings.Contains(a, ".") {
			name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if alias, ok := jupyterAliases[strings.ToLower(name)]; ok {
				a = "--" + alias
				if hasVal {
					a += "=" + val
				}
			}
		}
		out = append(out, a)
	}
	return out
}

func (s *setting) reset() {
	switch s.kind {
	case "list":
		*s.list = nil
	case "cidrs":
		*s.cidrs = nil
		if s.b != nil {
			*s.b = false
		}
	}
}

func (s *setting) apply(v string) error {
	if s.set != nil {
		*s.set = true
	}
	switch s.kind {
	case "string":
		*s.str = v
	case "int":
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		*s.num = n
	case "bool":
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*s.b = b
	case "list":
		*s.list = append(*s.list, v)
	case "size":
		n, err := ParseSize(v)
		if err != nil {
			return err
		}
		*s.size = n
	case "size0":
		if strings.TrimSpace(v) == "0" {
			*s.size = 0
			return nil
		}
		n, err := ParseSize(v)
		if err != nil {
			return err
		}
		*s.size = n
	case "duration":
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d <= 0 {
			return fmt.Errorf("%q is not a positive duration like 30m or 24h", v)
		}
		*s.dur = d
	case "duration0":
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d < 0 {
			return fmt.Errorf("%q is not a duration like 30m (0 = off)", v)
		}
		*s.dur = d
	case "cidrs":
		if s.b != nil && strings.EqualFold(strings.TrimSpace(v), "unix") {
			*s.b = true
			return nil
		}
		p, err := parseCIDR(v)
		if err != nil {
			return err
		}
		*s.cidrs = append(*s.cidrs, p)
	}
	return nil
}

func parseCIDR(v string) (netip.Prefix, error) {
	v = strings.TrimSpace(v)
	if p, err := netip.ParsePrefix(v); err == nil {
		return p.Masked(), nil
	}
	if a, err := netip.ParseAddr(v); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.Prefix{}, fmt.Errorf("%q is not a CIDR like 10.0.0.0/8 or an IP address", v)
}

// ParseSize reads a byte count: a plain number or one with a unit
// (B, KB, KiB, MB, MiB, GB, GiB).
func ParseSize(v string) (int64, error) {
	s := strings.TrimSpace(v)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9') {
		i++
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size like 256MiB", v)
	}
	mult := map[string]int64{
		"": 1, "b": 1, "k": 1 << 10, "kb": 1000, "kib": 1 << 10, "m": 1 << 20, "mb": 1000 * 1000, "mib": 1 << 20,
		"g": 1 << 30, "gb": 1000 * 1000 * 1000, "gib": 1 << 30,
	}[strings.ToLower(strings.TrimSpace(s[i:]))]
	if mult == 0 || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size like 256MiB", v)
	}
	return n * mult, nil
}

type boolFlag struct {
	name  string
	given map[string][]string
}

func (b boolFlag) String() string   { return "" }
func (b boolFlag) IsBoolFlag() bool { return true }
func (b boolFlag) Set(v string) error {
	b.given[b.name] = append(b.given[b.name], v)
	return nil
}

// readFile reads a JSON config file: a flat object of settings, or
// Jupyter-style sections ({"ServerApp": {"port": 8888}}).
func readFile(path string) (map[string][]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	var top map[string]any
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("config file %s is not a JSON object: %w", path, err)
	}
	out := map[string][]string{}
	var add func(key string, v any) error
	add = func(key string, v any) error {
		switch x := v.(type) {
		case map[string]any:
			for k, vv := range x {
				if err := add(key+"."+k, vv); err != nil {
					return err
				}
			}
			return nil
		case []any:
			for _, e := range x {
				out[key] = append(out[key], fmt.Sprint(e))
			}
			return nil
		case float64:
			out[key] = append(out[key], strconv.FormatFloat(x, 'f', -1, 64))
		case nil:
		default:
			out[key] = append(out[key], fmt.Sprint(x))
		}
		return nil
	}
	for k, v := range top {
		if err := add(k, v); err != nil {
			return nil, err
		}
	}
	// Strip the leading "." of nested keys.
	res := make(map[string][]string, len(out))
	for k, v := range out {
		res[strings.TrimPrefix(k, ".")] = v
	}
	return res, nil
}

// DefaultConfigFile is ~/.config/quire/config.json (honouring
// XDG_CONFIG_HOME), or "" if no home directory is known.
func DefaultConfigFile(getenv func(string) string) string {
	if x := getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "quire", "config.json")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config", "quire", "config.json")
	}
	return ""
}

// JupyterDataDir is Jupyter's data directory: $JUPYTER_DATA_DIR,
// $XDG_DATA_HOME/jupyter or ~/.local/share/jupyter.
func JupyterDataDir(getenv func(string) string) string {
	if d := getenv("JUPYTER_DATA_DIR"); d != "" {
		return d
	}
	if x := getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "jupyter")
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".local", "share", "jupyter")
}

// RuntimeDir is Jupyter's runtime directory: $JUPYTER_RUNTIME_DIR or
// <data dir>/runtime.
func RuntimeDir(getenv func(string) string) string {
	if d := getenv("JUPYTER_RUNTIME_DIR"); d != "" {
		return d
	}
	return filepath.Join(JupyterDataDir(getenv), "runtime")
}

// NormaliseBaseURL turns "x", "/x", "x/" and "/x//" into "/x/".
func NormaliseBaseURL(b string) string {
	parts := strings.FieldsFunc(b, func(r rune) bool { return r == '/' })
	if len(parts) == 0 {
		return "/"
	}
	return "/" + strings.Join(parts, "/") + "/"
}

func (c *Config) normalise(getenv func(string) string) error {
	// The one rule for base URLs (baseurl.Parse): plain path characters
	// and proper percent-escapes, as JupyterHub's escaped user names need.
	base, err := baseurl.Parse(c.BaseURL)
	if err != nil {
		return fmt.Errorf("--base-url %w", err)
	}
	c.BaseURL = base.String()
	if c.RootDir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return fmt.Errorf("find current directory: %w", err)
		}
		c.RootDir = wd
	}
	abs, err := filepath.Abs(c.RootDir)
	if err != nil {
		return fmt.Errorf("--root-dir: %w", err)
	}
	c.RootDir = abs
	if err := c.normaliseStore(); err != nil {
		return err
	}
	if c.DataDir == "" {
		c.DataDir = filepath.Join(JupyterDataDir(getenv), "quire")
	}
	if c.RuntimeDir == "" {
		c.RuntimeDir = RuntimeDir(getenv)
	}
	if c.TrustDataDir == "" {
		c.TrustDataDir = JupyterDataDir(getenv)
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("--port %d is not a TCP port (0-65535)", c.Port)
	}
	if c.PortRetries < 0 {
		return fmt.Errorf("--port-retries must not be negative")
	}
	switch c.TLS {
	case "", "self-signed":
	default:
		return fmt.Errorf("--tls %q: the only value is self-signed (or give --certfile and --keyfile)", c.TLS)
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return errors.New("--certfile and --keyfile go together: give both or neither")
	}
	if c.CertFile != "" && c.TLS != "" {
		return errors.New("--tls self-signed and --certfile/--keyfile exclude each other")
	}
	if err := c.checkTLS(); err != nil {
		return err
	}
	switch c.KernelWSProtocol {
	case "", "legacy":
	default:
		return fmt.Errorf("--kernel-ws-protocol %q: use legacy, or leave it empty", c.KernelWSProtocol)
	}
	switch t := strings.ToLower(strings.TrimSpace(c.KernelTransport)); t { // caseless, as in Jupyter
	case "tcp", "ipc":
		c.KernelTransport = t
	default:
		return fmt.Errorf("--kernel-transport %q: use tcp or ipc", c.KernelTransport)
	}
	if c.KernelHeartbeatMisses < 1 {
		return fmt.Errorf("--kernel-heartbeat-misses %d must be at least 1", c.KernelHeartbeatMisses)
	}
	if c.LoginChecks < 1 || c.LoginFreeFailures < 1 || c.LoginGlobalFailures < 1 || c.LoginDeviceFailures < 1 {
		return fmt.Errorf("--login-checks (%d), --login-free-failures (%d), --login-global-failures (%d) and --login-device-failures (%d) must be at least 1",
			c.LoginChecks, c.LoginFreeFailures, c.LoginGlobalFailures, c.LoginDeviceFailures)
	}
	if c.LoginMaxTracked < 100 || c.MaxSessions < 1 {
		return fmt.Errorf("--login-max-tracked (%d) must be at least 100 and --max-sessions (%d) at least 1", c.LoginMaxTracked, c.MaxSessions)
	}
	if c.LoginMaxDelay < c.LoginFailureDelay || c.LoginGlobalMaxDelay < c.LoginFailureDelay {
		return fmt.Errorf("--login-max-delay (%s) and --login-global-max-delay (%s) must not be below --login-failure-delay (%s)",
			c.LoginMaxDelay, c.LoginGlobalMaxDelay, c.LoginFailureDelay)
	}
	if c.MaxHeaderSize < 4<<10 || c.MaxHeaderSize > 1<<30 {
		return fmt.Errorf("--max-header-size %d is out of range (4KiB to 1GiB)", c.MaxHeaderSize)
	}
	if c.MetricsAddr != "" {
		host, port, err := net.SplitHostPort(c.MetricsAddr)
		if err != nil {
			return fmt.Errorf("--metrics-addr %q: want host:port or :port (%v)", c.MetricsAddr, err)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			return fmt.Errorf("--metrics-addr %q: %q is not a TCP port (0-65535)", c.MetricsAddr, port)
		}
		if host == "" {
			c.MetricsAddr = net.JoinHostPort("127.0.0.1", port)
		}
	}
	if c.MaxTerminals < 0 {
		return fmt.Errorf("--max-terminals %d must not be negative (0 = no limit)", c.MaxTerminals)
	}
	if c.TerminalScrollback > 1<<30 {
		return fmt.Errorf("--terminal-scrollback %d is too large (at most 1GiB)", c.TerminalScrollback)
	}
	if c.TrustedOutputs < 16 {
		return fmt.Errorf("--trusted-outputs %d is too small (at least 16)", c.TrustedOutputs)
	}
	if c.MaxConns < 16 {
		return fmt.Errorf("--max-conns %d is too small (at least 16)", c.MaxConns)
	}
	if c.MaxConnsPerClient < 0 {
		return fmt.Errorf("--max-conns-per-client %d must not be negative (0 = no cap)", c.MaxConnsPerClient)
	}
	if c.HTTPBodyMinRate < 0 {
		return fmt.Errorf("--http-body-min-rate must not be negative (0 = none)")
	}
	if c.MaxUnauthBody < 1<<10 || c.MaxUnauthBody > 1<<20 {
		return fmt.Errorf("--max-unauth-body %d is out of range (1KiB to 1MiB; a login form needs a few hundred bytes)", c.MaxUnauthBody)
	}
	if c.MaxRequestMemory != 0 && c.MaxRequestMemory < 16<<20 {
		return fmt.Errorf("--max-request-memory %d is too small to serve a notebook (at least 16MiB, or 0 for no bound)", c.MaxRequestMemory)
	}
	if c.MemoryLimit != 0 && c.MemoryLimit < 64<<20 {
		return fmt.Errorf("--memory-limit %d is too small for the server to run (at least 64MiB, or 0 for none)", c.MemoryLimit)
	}
	if c.ClientQueueMessages < 16 {
		return fmt.Errorf("--client-queue-messages %d is too small (at least 16)", c.ClientQueueMessages)
	}
	switch c.AuditExecute {
	case "off", "hash", "full":
	default:
		return fmt.Errorf("--audit-execute %q: use off, hash or full", c.AuditExecute)
	}
	if c.AuditExecute != "off" && c.AuditLog == "" {
		return fmt.Errorf("--audit-execute %s needs --audit-log", c.AuditExecute)
	}
	if c.AuditRefusals < 1 {
		return fmt.Errorf("--audit-refusals %d: at least 1", c.AuditRefusals)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("--log-format %q: use text or json", c.LogFormat)
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "warning", "error":
	default:
		return fmt.Errorf("--log-level %q: use debug, info, warn or error", c.LogLevel)
	}
	var users []string
	for _, u := range c.AllowedUsers {
		users = append(users, splitList(u)...)
	}
	c.AllowedUsers = users
	if c.TrustUnixProxy && c.Sock == "" {
		return errors.New("--trusted-proxy unix trusts peers on --sock; give --sock too")
	}
	if c.TrustedUserHeader != "" && len(c.TrustedProxies) == 0 && !c.TrustUnixProxy {
		return errors.New("--trusted-user-header needs --trusted-proxy: the header is believed only from the proxy's address")
	}
	if len(c.AllowedUsers) > 0 && c.TrustedUserHeader == "" {
		return errors.New("--allowed-users limits the users of --trusted-user-header; give that too")
	}
	for _, o := range c.AllowOrigins {
		if o == "*" {
			return errors.New("--allow-origin '*' would let any site use a logged-in browser's cookies; list the exact origins instead")
		}
	}
	return nil
}

// FlagError rewords an error of flag.FlagSet.Parse for the command line
// (Quire's options are written --name, the flag package says -name) and
// says which command shows the help.
func FlagError(err error, help string) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		msg = "unknown option --" + name
	} else if name, ok := strings.CutPrefix(msg, "invalid value "); ok {
		msg = "invalid value " + strings.Replace(name, " for flag -", " for --", 1)
	} else if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		msg = "option --" + name + " needs a value"
	}
	return fmt.Errorf("%s (see %s)", msg, help)
}

// TLSEnabled reports whether the server speaks HTTPS.
func (c *Config) TLSEnabled() bool {
	return c.CertFile != "" || c.TLS == "self-signed" || c.ACME.Enabled()
}

const serveIntro = `Quire: a Jupyter-compatible notebook server.

Usage:
  quire [serve] [options]     serve the current directory (or --root-dir)
  quire password [--write]    hash a password in Jupyter's format
  quire list [--json]         list running servers
  quire stop PORT | --sock PATH
                              stop a running server
  quire trust FILE... | --reset
                              sign notebooks (trust their output), or
                              forget every signature
  quire doctor [URL] [--json] check this machine's setup, or a running
                              deployment from the outside
  quire version

Every option can also be set as QUIRE_<NAME> in the environment (e.g.
QUIRE_PORT=9999, QUIRE_ALLOW_ORIGIN="https://a.example,https://b.example")
or as "name": value in the JSON config file given by --config. A flag beats
the environment, which beats the file, which beats the default. Jupyter
names such as --ServerApp.port=9999 are accepted too. QUIRE_PASSWORD gives a
plain password (hashed in memory at start).

Options:
`

func usage(fs *flag.FlagSet, w io.Writer, intro string) {
	if intro != "" {
		fmt.Fprint(w, intro, `

Every option of quire serve is taken too, from flags, QUIRE_<NAME>
variables and the config file, as quire serve reads them.

Options:
`)
	} else {
		fmt.Fprint(w, serveIntro)
	}
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	d := Defaults()
	defaults := map[string]string{}
	setting := map[string]bool{}
	for _, st := range d.settings() {
		setting[st.name] = true
		if dv := st.defaultText(); dv != "" {
			defaults[st.name] = dv
		}
	}
	for _, n := range names {
		f := fs.Lookup(n)
		fmt.Fprintf(w, "  --%s\n", n)
		line := "        " + f.Usage
		if dv, ok := defaults[n]; ok {
			line += " (default " + dv + ")"
		}
		if setting[n] {
			line += " [" + envName(n) + "]"
		}
		fmt.Fprintln(w, line)
	}
}
