package app

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	neturl "net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"quire/internal/audit"
	"quire/internal/auth"
	"quire/internal/bigbuf"
	"quire/internal/config"
	"quire/internal/connlimit"
	"quire/internal/contents"
	"quire/internal/contents/fsstore"
	"quire/internal/contents/s3store"
	"quire/internal/errkind"
	"quire/internal/fsroot"
	"quire/internal/guard"
	"quire/internal/httpapi"
	"quire/internal/hub"
	"quire/internal/kernel"
	"quire/internal/kernelspec"
	"quire/internal/logx"
	"quire/internal/membudget"
	"quire/internal/safefile"
	"quire/internal/session"
	"quire/internal/terminal"
	"quire/internal/tlsx"
	"quire/internal/trust"
	"quire/internal/webui"
	"quire/internal/wsbridge"
	"quire/ui"
)

// serveOption adjusts a server run in-process (tests); production passes
// none.
type serveOption func(*server)

// onReady has f called once the server accepts connections, with what its
// runtime file says of it (where it listens, its token), before the server
// waits for the end of ctx. f must not block.
func onReady(f func(serverInfo)) serveOption {
	return func(s *server) { s.ready = f }
}

func runServe(ctx context.Context, args []string, env envFunc, stdout, stderr io.Writer, opts ...serveOption) int {
	cfg, err := config.Load(args, env, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "quire:", err)
			return 2
		}
		return 0
	}
	log, err := logx.New(stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		fmt.Fprintln(stderr, "quire:", err)
		return 2
	}
	stopProfiles := startProfiles(env, stderr)
	defer stopProfiles()
	s := &server{cfg: cfg, env: env, log: log, stdout: stdout}
	for _, o := range opts {
		o(s)
	}
	if err := s.run(ctx); err != nil {
		// Said once, plainly: a refusal to start is the user's to read,
		// and the log line would only repeat it.
		fmt.Fprintln(stderr, "quire:", err)
		return exitCode(err)
	}
	return 0
}

// server is one running instance: its settings, what it built and what it
// must undo on the way out.
type server struct {
	cfg    *config.Config
	env    envFunc
	log    *slog.Logger
	stdout io.Writer
	ready  func(serverInfo) // nil: nobody in-process is waiting (onReady)

	specs   *kernelspec.Specs
	kernels *kernel.Manager
	terms   *terminal.Manager // nil with --terminals=false
	metrics *meterSet         // nil with --metrics=false and no --metrics-addr (metrics.go)
	// outputs are the rich outputs this server may sign: its kernels
	// record what they produce, the contents service what it finds or
	// makes trusted, and a save signs only notebooks made of them.
	outputs      *trust.Outputs
	bufs         *bigbuf.Cache // large buffers kept for reuse (--buffer-cache), this server's own
	token        string
	passwordHash string
	generated    bool // the token was generated at start
	conns        *connlimit.Limiter
	acme         *tlsx.ACME // --acme-domain: certificates from an ACME CA (acme.go)
	// Hub mode (quire singleuser, singleuser.go): the Hub's environment,
	// options ignored, the Hub's API, its version and the sign-in; nil
	// hubEnv outside hub mode. hubSleeps: waits between version checks
	// (tests shorten them).
	hubEnv     *hub.Env
	hubNotes   []string
	hubSleeps  []time.Duration
	hubClient  *hub.Client
	hubVersion string
	hub        *hub.Hub
	audit      *audit.Log // --audit-log; nil when off
	cleanup    []func()
}

func (s *server) run(ctx context.Context) error {
	defer func() {
		for i := len(s.cleanup) - 1; i >= 0; i-- {
			s.cleanup[i]()
		}
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Hub mode: JupyterHub polls the port from the moment it started the
	// process, and a refused connection costs it a random back-off (up to
	// 0.2, then 0.4, 0.8 s) before it asks again, while an accepted one
	// just waits for its answer. So Quire binds first, asks the Hub for
	// its version while it builds everything else, and serves nothing
	// before both are done: every response still carries the Hub's
	// version, and a Hub that never answers still ends the process.
	var early net.Listener
	var hubErr error
	var hubWG sync.WaitGroup
	if s.hubEnv != nil {
		ln, err := s.listen() // checkSafety refuses nothing in hub mode
		if err != nil {
			return err
		}
		early = ln
		defer ln.Close() // Serve's Shutdown closes it too; a second Close is harmless
		hctx, hcancel := context.WithCancel(ctx)
		hubWG.Go(func() { hubErr = s.hubStart(hctx) })
		defer hubWG.Wait()
		defer hcancel() // deferred last, runs first
	}
	setMemoryLimit(s.cfg.MemoryLimit)
	if err := s.openAudit(ctx); err != nil {
		return err
	}

	// Kernels: the manager exists before the reaper so that, as PID 1,
	// Quire never reaps a kernel its manager waits for.
	s.metrics = s.newMetrics()
	s.bufs = bigbuf.New(int(min(s.cfg.BufferCache, 1<<40)), bigbuf.Idle)
	s.outputs = trust.NewOutputs(s.cfg.TrustedOutputs, s.bufs)
	s.specs = kernelspec.Load(kernelSpecDirs(s.cfg, s.env), s.log)
	s.kernels = kernel.NewManager(s.specs, kernel.Options{
		RuntimeDir:         s.cfg.RuntimeDir,
		Dial:               dialZMQ,
		Transport:          s.cfg.KernelTransport,
		Log:                s.log,
		Env:                s.cfg.ChildEnv(os.Environ()), // kernels never inherit Quire's credentials (nor the S3 store's)
		ShutdownWait:       s.cfg.KernelShutdownWait,
		KernelInfoTimeout:  s.cfg.KernelInfoTimeout,
		HeartbeatInterval:  cmp.Or(s.cfg.KernelHeartbeatInterval, -1), // 0 = off
		HeartbeatMisses:    s.cfg.KernelHeartbeatMisses,
		CullIdleTimeout:    s.cfg.CullIdleTimeout,
		CullInterval:       s.cfg.CullInterval,
		CullConnected:      s.cfg.CullConnected,
		CullBusy:           s.cfg.CullBusy,
		MaxConnQueue:       s.cfg.ClientQueueMessages,
		MaxConnQueueBytes:  int(s.cfg.ClientQueueBytes),
		OutputBudget:       s.cfg.OutputBudget,
		OutputTail:         int(s.cfg.OutputTail),
		OfflineBufferBytes: int(min(s.cfg.OfflineBufferSize, int64(1<<40))),
		Outputs:            s.outputs,
		Audit:              s.audit,
		Meter:              s.kernelMeter(),
		OnActivity:         s.hubActivity(),
	})
	if s.cfg.Terminals {
		s.terms = newTerminals(s.cfg, os.Environ(), s)
	}
	s.observeManagers()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { s.kernels.RunCuller(ctx) })
	if s.terms != nil {
		wg.Go(func() { s.terms.RunCuller(ctx) })
	}
	if os.Getpid() == 1 {
		wg.Go(func() { reapOrphans(ctx, s.log, s.manages) })
	}
	defer cancel() // deferred last, runs first: stops the culler and reaper

	if err := s.credentials(); err != nil {
		return err
	}
	if err := s.checkSafety(); err != nil {
		return err
	}
	if err := kernel.CheckRuntimeDir(s.cfg.RuntimeDir, s.cfg.KernelTransport); err != nil {
		return err
	}
	if s.cfg.ContentsStore != "" {
		// Kernels and terminals run in the kernel root: they cannot
		// open() an S3 key.
		if err := os.MkdirAll(s.cfg.KernelRootDir, 0o700); err != nil {
			return fmt.Errorf("--kernel-root-dir: %w", err)
		}
	} else if fi, err := os.Stat(s.cfg.RootDir); err != nil || !fi.IsDir() {
		return fmt.Errorf("root directory %s does not exist or is not a directory (--root-dir)", s.cfg.RootDir)
	}
	// The data dir (cookie secret, sessions, TLS key) and the runtime dir
	// (runtime file with the token, kernels' connection files with their
	// keys) must be the user's alone: refused, with the fix, otherwise.
	if err := safefile.MkdirAll(s.cfg.DataDir); err != nil {
		return fmt.Errorf("data dir (--data-dir): %w", err)
	}
	if err := safefile.MkdirAll(s.cfg.RuntimeDir); err != nil {
		return fmt.Errorf("runtime dir (--runtime-dir or JUPYTER_RUNTIME_DIR): %w", err)
	}

	tlsConf, err := s.tlsConfig()
	if err != nil {
		return err
	}

	ln := early
	if ln == nil {
		if ln, err = s.listen(); err != nil {
			return err
		}
	} else {
		hubWG.Wait() // the Hub's version, for the handler's headers
		if hubErr != nil {
			return hubErr
		}
	}
	port := 0
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok {
		port = tcp.Port
	}
	s.conns = s.connLimiter()
	ln = s.conns.Listener(ln) // under TLS: a refused connection costs no handshake
	if tlsConf != nil {
		ln = tls.NewListener(ln, tlsConf)
	}

	handler, closeHandler, err := s.handler(cancel)
	if err != nil {
		ln.Close()
		return err
	}
	if s.hub != nil {
		wg.Go(func() { s.hub.RunActivity(ctx) })
	}
	s.cleanup = append(s.cleanup, closeHandler)
	if s.cfg.MetricsAddr != "" {
		stopMetrics, err := s.serveMetrics(ctx)
		if err != nil {
			ln.Close()
			return err
		}
		defer stopMetrics()
	}

	reqCtx, endRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer endRequests()
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: s.cfg.HTTPHeaderTimeout,
		IdleTimeout:       s.cfg.HTTPIdleTimeout,
		MaxHeaderBytes:    int(s.cfg.MaxHeaderSize),
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		// Requests outlive the signal (in-flight saves finish); hijacked
		// WebSockets outlive Shutdown, so their context is ended after it
		// and every bridge closes (1012) on the way out.
		BaseContext: func(net.Listener) context.Context { return reqCtx },
		ConnContext: s.conns.ConnContext,
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	if s.acme != nil {
		stopACME, err := s.startACME(ctx, port)
		if err != nil {
			_ = srv.Close()
			return err
		}
		defer stopACME()
	}

	info := s.info(port)
	// The banner first: a script (or test) that waits for the runtime file
	// then finds the banner already printed; the file is synced to disk,
	// which may take a while.
	s.banner(info)
	path, err := writeRuntimeFile(s.cfg.RuntimeDir, info)
	if err != nil {
		s.log.Warn("could not write the runtime file; quire list will not show this server", "err", err)
	} else {
		s.cleanup = append(s.cleanup, func() { _ = os.Remove(path) })
	}
	if !s.cfg.NoBrowser {
		s.openBrowser(info)
	}
	s.auditStart(info)
	if s.ready != nil {
		s.ready(info)
	}

	select {
	case err := <-serveErr:
		s.auditStop("error")
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down: waiting for in-flight requests", "limit", s.cfg.ShutdownWait.String())
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownWait)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		s.log.Warn("in-flight requests did not finish in time", "err", err)
		_ = srv.Close()
	}
	endRequests()
	// Every kernel and terminal is shut down before Quire exits, side by
	// side: no orphans.
	kctx, kcancel := context.WithTimeout(context.WithoutCancel(ctx), 3*s.cfg.KernelShutdownWait+5*time.Second)
	defer kcancel()
	var stops sync.WaitGroup
	if s.terms != nil {
		stops.Go(func() {
			if err := s.terms.Close(kctx); err != nil {
				s.log.Warn("terminals did not all end cleanly", "err", err)
			}
		})
	}
	if err := s.kernels.Close(kctx); err != nil {
		s.log.Warn("kernels did not all shut down cleanly", "err", err)
	}
	stops.Wait()
	s.auditStop("shutdown")
	s.log.Info("stopped")
	return nil
}

// hubActivity is what kernels and terminals call when a user works with
// them, in hub mode (nil otherwise): the Hub's activity reports, and so its
// idle culler, hear of execution and typing between HTTP requests. s.hub
// is set before the server accepts the requests that start either.
func (s *server) hubActivity() func() {
	if s.hubEnv == nil {
		return nil
	}
	return func() {
		if s.hub != nil {
			s.hub.Touch()
		}
	}
}

// manages reports children that their owners wait for themselves: kernels
// and terminals' shells (for the PID-1 reaper).
func (s *server) manages(pid int) bool {
	return s.kernels.Manages(pid) || (s.terms != nil && s.terms.Manages(pid))
}

// credentials settles the token and password hash: QUIRE_PASSWORD is
// hashed in memory; with neither a token nor a password, a random token is
// generated.
func (s *server) credentials() error {
	if s.hubEnv != nil {
		return nil // the Hub is the only sign-in: no token, no password
	}
	s.passwordHash = s.cfg.PasswordHash
	if s.cfg.Password != "" {
		h, err := auth.HashPassword(s.cfg.Password)
		if err != nil {
			return fmt.Errorf("hash QUIRE_PASSWORD: %w", err)
		}
		s.passwordHash = h
	}
	if s.passwordHash != "" {
		if err := auth.ValidateHash(s.passwordHash); err != nil {
			return fmt.Errorf("--password-hash: %w (make one with `quire password`)", err)
		}
	}
	s.token = s.cfg.Token
	if !s.cfg.TokenSet {
		if t, ok := s.env("JUPYTER_TOKEN"); ok {
			s.token = t
		} else if s.passwordHash == "" {
			b := make([]byte, 24) // 192 bits
			if _, err := rand.Read(b); err != nil {
				return fmt.Errorf("generate token: %w", err)
			}
			s.token = hex.EncodeToString(b)
			s.generated = true
		}
	}
	return nil
}

// checkSafety refuses setups that would expose the server to the network
// without authentication, and warns about risky ones.
func (s *server) checkSafety() error {
	local := s.cfg.Sock != "" || loopbackOnly(s.cfg.IP)
	if s.token == "" && s.passwordHash == "" && s.cfg.TrustedUserHeader == "" && s.hubEnv == nil {
		if !local {
			return fmt.Errorf("refusing to listen on %s without authentication: anyone who can reach this machine could run code as you. "+
				"Set a password (quire password --write), keep the generated token (drop --token ''), or listen on 127.0.0.1 or a --sock", displayIP(s.cfg.IP))
		}
		s.log.Warn("authentication is disabled (--token '' and no password): every local user and every web page you visit that can reach this port can run code as you")
	}
	if !local && !s.cfg.TLSEnabled() {
		s.log.Warn("listening on the network without TLS: the token, password and notebooks cross the network in clear text; "+
			"with a DNS name for this machine, --acme-domain NAME gets a trusted certificate (see `quire doctor`); "+
			"else use --tls self-signed, --certfile/--keyfile, or a TLS reverse proxy", "ip", displayIP(s.cfg.IP))
	}
	if s.cfg.ACME.Enabled() {
		s.acmeWarnings()
	}
	return nil
}

func (s *server) tlsConfig() (*tls.Config, error) {
	switch {
	case s.cfg.ACME.Enabled():
		return s.acmeConfig()
	case s.cfg.CertFile != "":
		c, err := tlsx.LoadFiles(s.cfg.CertFile, s.cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("TLS: %w", err)
		}
		if s.hubEnv != nil && s.hubEnv.InternalSSL() {
			// JupyterHub's internal SSL: only the proxy and the Hub, with
			// certificates its CA signed, may connect.
			if c.ClientCAs, err = s.hubEnv.ClientCAs(); err != nil {
				return nil, err
			}
			c.ClientAuth = tls.RequireAndVerifyClientCert
		}
		return c, nil
	case s.cfg.TLS == "self-signed":
		hosts := []string{}
		if !wildcardIP(s.cfg.IP) {
			hosts = append(hosts, s.cfg.IP)
		}
		if h, err := os.Hostname(); err == nil {
			hosts = append(hosts, h)
		}
		c, fp, err := tlsx.SelfSigned(selfSignedDir(s.cfg), hosts, time.Now())
		if err != nil {
			return nil, fmt.Errorf("self-signed TLS: %w", err)
		}
		fmt.Fprintf(s.stdout, "TLS certificate SHA-256 fingerprint (check it when your browser asks):\n    %s\n", fp)
		return c, nil
	}
	return nil, nil
}

func (s *server) listen() (net.Listener, error) {
	if s.cfg.Sock != "" {
		ln, err := listenUnix(s.cfg.Sock)
		if err != nil {
			return nil, err
		}
		s.cleanup = append(s.cleanup, func() { _ = os.Remove(s.cfg.Sock) })
		return ln, nil
	}
	return listenTCP(s.cfg.IP, s.cfg.Port, s.cfg.PortRetries)
}

// handler builds the whole HTTP chain. Every route sits inside it, so none
// can bypass the guard or the auth middleware.
func (s *server) handler(shutdown func()) (http.Handler, func(), error) {
	g, err := guard.New(guard.Options{
		BaseURL: s.cfg.BaseURL,
		// The Hub's health check comes with the bind address as Host, the
		// proxy keeps the public one: no Host allow-list in hub mode.
		HostCheck:      s.hubEnv == nil && (s.cfg.Sock != "" || loopbackOnly(s.cfg.IP)),
		AllowHosts:     append(slices.Clone(s.cfg.AllowHosts), s.cfg.ACME.Domains...), // names certified as this server's
		AllowOrigins:   s.cfg.AllowOrigins,
		TrustedProxies: s.cfg.TrustedProxies,
		TrustUnix:      s.cfg.TrustUnixProxy,
		PublicURL:      s.cfg.PublicURL,
		HSTSMaxAge:     s.cfg.HSTS(),
		Log:            s.log,
		Audit:          s.audit,
		// Hub mode: no page of this server may be framed by another's on
		// the Hub's shared origin; with internal SSL the TLS hop is the
		// proxy's, whose headers say what the browser used.
		FrameNone:  s.hubEnv != nil,
		TLSProxies: s.hubEnv != nil && s.hubEnv.InternalSSL(),
		// Hub mode: the Hub's proxy may end the browser's TLS unsaid.
		OriginAnyScheme: s.hubEnv != nil,
	})
	if err != nil {
		return nil, nil, err
	}
	web, err := webui.New(s.cfg.BaseURL, ui.Dist())
	if err != nil {
		return nil, nil, err
	}
	var hubAuth auth.Hub
	if s.hubEnv != nil {
		s.hub = hub.New(hub.Options{Env: *s.hubEnv, Client: s.hubClient, IsSecure: g.IsSecure, Log: s.log, Audit: s.audit}, s.hubVersion)
		hubAuth = s.hub
	}
	authn, err := auth.New(auth.Options{
		Hub:          hubAuth,
		BaseURL:      s.cfg.BaseURL,
		Token:        s.token,
		PasswordHash: s.passwordHash,
		DataDir:      s.cfg.DataDir,
		SessionIdle:  s.cfg.SessionIdle,
		SessionMax:   s.cfg.SessionMax,

		MaxConcurrentChecks: s.cfg.LoginChecks,
		FreeFailures:        s.cfg.LoginFreeFailures,
		FailureDelay:        s.cfg.LoginFailureDelay,
		MaxFailureDelay:     s.cfg.LoginMaxDelay,
		GlobalFailures:      s.cfg.LoginGlobalFailures,
		GlobalMaxDelay:      s.cfg.LoginGlobalMaxDelay,
		MaxThrottled:        s.cfg.LoginMaxTracked,
		DeviceMaxAge:        deviceMaxAge(s.cfg.LoginDeviceMaxAge),
		DeviceFailures:      s.cfg.LoginDeviceFailures,
		DeviceLockout:       s.cfg.LoginDeviceLockout,
		MaxDevices:          s.cfg.LoginMaxTracked,
		MaxSessions:         s.cfg.MaxSessions,

		MaxUnauthBody: s.cfg.MaxUnauthBody,
		Authenticated: s.conns.Authenticated,
		Logins:        s.loginMeter(),

		UserHeader:   s.cfg.TrustedUserHeader,
		AllowedUsers: s.cfg.AllowedUsers,
		FromProxy:    g.FromProxy,

		ClientIP: g.ClientIP,
		IsSecure: g.IsSecure,
		Log:      s.log,
		Audit:    s.audit,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("auth: %w", err)
	}
	// One request memory budget for the whole server, charged by the
	// handlers (request bodies) and the contents service (files read).
	var budget *membudget.Budget
	if s.cfg.MaxRequestMemory > 0 {
		budget = requestMemory(s.cfg.MaxRequestMemory, s.bufs, s.log)
	}
	svc, root, closeContents, err := s.contents(budget)
	if err != nil {
		authn.Close()
		return nil, nil, err
	}
	ks := &kernels{m: s.kernels, root: root}
	deps := httpapi.Deps{
		BaseURL:     s.cfg.BaseURL,
		Buffers:     s.bufs,
		Log:         s.log,
		Version:     APIVersion,
		Started:     time.Now(),
		MaxBodySize: s.cfg.MaxBodySize,
		Contents:    svc,
		Kernels:     ks,
		Sessions:    session.New(sessionKernels{ks}),
		KernelSpecs: specs{s.specs},
		Status:      s.kernels,
		WebSocket: wsbridge.Options{
			MaxMessageSize: s.cfg.MaxWSMessageSize,
			PingInterval:   s.cfg.WSPingInterval,
			WriteTimeout:   s.cfg.WSWriteTimeout,
			Log:            s.log,
			Protocol:       s.cfg.KernelWSProtocol,
			Meter:          s.wsMeter(),
		},
		TerminalWebSocket: wsbridge.Options{
			MaxMessageSize: s.cfg.MaxTerminalMessageSize,
			PingInterval:   s.cfg.WSPingInterval,
			WriteTimeout:   s.cfg.WSWriteTimeout,
			Log:            s.log,
			Meter:          s.wsMeter(),
		},
		UI:       web,
		Identity: identity,
		Login:    authn.Login(),
		Logout:   authn.Logout(),
		Shutdown: shutdown,
	}
	if budget != nil { // a nil *Budget in the interface would not be nil
		deps.Memory = budget
	}
	s.meterAPI(&deps, authn.Sessions) // counted saves, route labels, {base}metrics
	if s.terms != nil {
		deps.Terminals = terminals{Manager: s.terms, root: root}
	}
	api := httpapi.New(deps)
	var h http.Handler = api
	if s.hub != nil {
		h = s.hub.Routes(h) // {prefix}oauth_callback, login, logout, {prefix}
	}
	h = s.conns.Gate(h)     // a headroom connection must bring credentials
	h = authn.Middleware(h) // identity, XSRF, public-route list
	h = g.HostOrigin(h)     // DNS-rebinding Host check, Origin allow-list
	h = g.Headers(h)        // nosniff, CSP, Referrer-Policy, HSTS under TLS
	if s.hub != nil {
		h = s.hub.Headers(h) // X-JupyterHub-Version on every response
	}
	h = logx.AccessLog(s.log, g.ClientIP)(h)
	h = audit.Requests(g.ClientIP)(h) // X-Request-Id; who and whence, for the audit log
	h = s.meterRequests(h)            // http_request_duration_seconds
	h = s.conns.Handler(h)            // body deadlines; closes unauthenticated headroom connections
	closeAll := func() {
		closeContents()
		if err := authn.Close(); err != nil {
			s.log.Warn("could not save sessions", "err", err)
		}
	}
	return h, closeAll, nil
}

// connLimiter builds the connection limits. --max-conns is lowered to
// 3/4 of the open-file limit (which Go raised to its hard limit at start),
// leaving the rest for kernels' sockets, notebooks and the log.
func (s *server) connLimiter() *connlimit.Limiter {
	maxConns := s.cfg.MaxConns
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil {
		if n := fitConns(maxConns, rl.Cur); n < maxConns {
			maxConns = n
			s.log.Warn("--max-conns lowered to fit the open-file limit", "max_conns", maxConns, "nofile", rl.Cur)
		}
	}
	proxies := s.cfg.TrustedProxies
	return connlimit.New(connlimit.Options{
		Max:       maxConns,
		PerClient: s.cfg.MaxConnsPerClient,
		Exempt: func(a netip.Addr) bool {
			for _, p := range proxies {
				if p.Contains(a) {
					return true
				}
			}
			return false
		},
		BodyTimeout: s.cfg.HTTPBodyTimeout,
		BodyMinRate: s.cfg.HTTPBodyMinRate,
		Log:         s.log,
	})
}

// fitConns is maxConns, lowered to 3/4 of the open-file limit nofile if
// above it (at least 16).
func fitConns(maxConns int, nofile uint64) int {
	if limit := nofile / 4 * 3; uint64(maxConns) > limit {
		return int(max(16, limit))
	}
	return maxConns
}

func (s *server) info(port int) serverInfo {
	scheme := "http"
	if s.cfg.TLSEnabled() {
		scheme = "https"
	}
	host := s.cfg.IP
	if wildcardIP(host) {
		host, _ = os.Hostname()
		if host == "" {
			host = "localhost"
		}
	}
	if s.cfg.ACME.Enabled() {
		host = s.cfg.ACME.Domains[0] // the name its certificate is for
	}
	url := scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port)) + s.cfg.BaseURL
	if s.cfg.Sock != "" {
		url = "http+unix://" + neturl.PathEscape(s.cfg.Sock) + s.cfg.BaseURL
	}
	hostname := s.cfg.IP
	if wildcardIP(hostname) {
		hostname = "localhost"
	}
	return serverInfo{
		BaseURL:  s.cfg.BaseURL,
		Hostname: hostname,
		Password: s.passwordHash != "",
		PID:      os.Getpid(),
		Port:     port,
		RootDir:  cmp.Or(s.cfg.ContentsStore, s.cfg.RootDir),
		Secure:   s.cfg.TLSEnabled(),
		Sock:     s.cfg.Sock,
		Token:    s.token,
		URL:      url,
		Version:  Version,
	}
}

// banner prints where to connect: the --public-url when there is one, else
// where Quire listens. It goes to stdout, never the log, so that logs never
// hold the token.
func (s *server) banner(info serverInfo) {
	w := s.stdout
	if s.cfg.PublicURL != "" {
		info.URL = s.cfg.PublicURL
	}
	fmt.Fprintf(w, "Quire %s is serving %s\n", Version, info.RootDir)
	switch {
	case s.hubEnv != nil:
		fmt.Fprintf(w, "JupyterHub user %s's server at %s: sign in through the Hub.\n", s.hubEnv.User, s.hubEnv.Prefix)
	case s.token != "" && s.generated:
		fmt.Fprintf(w, "To access the server, open this URL in a browser:\n    %s?token=%s\n", info.URL, s.token)
		if wildcardIP(s.cfg.IP) {
			scheme := "http"
			if info.Secure {
				scheme = "https"
			}
			fmt.Fprintf(w, "or\n    %s://127.0.0.1:%d%s?token=%s\n", scheme, info.Port, info.BaseURL, s.token)
		}
	case s.passwordHash != "":
		fmt.Fprintf(w, "Open %s and log in with your password.\n", info.URL)
	case s.token != "":
		fmt.Fprintf(w, "Open %s and log in with the token you configured.\n", info.URL)
	case s.cfg.TrustedUserHeader != "":
		fmt.Fprintf(w, "Open %s: the reverse proxy's login signs users in (%s).\n", info.URL, s.cfg.TrustedUserHeader)
	default:
		fmt.Fprintf(w, "Open %s (no authentication).\n", info.URL)
	}
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}

// contents builds the contents service on the root directory, or on the
// S3 bucket of --contents-store, and returns the local directory kernels
// run in (the root, or --kernel-root-dir for S3); the function returned
// closes them.
func (s *server) contents(budget *membudget.Budget) (*contents.Service, *fsroot.Root, func(), error) {
	rootDir := s.cfg.RootDir
	if s.cfg.ContentsStore != "" {
		rootDir = s.cfg.KernelRootDir
	}
	root, err := fsroot.Open(rootDir, fsroot.Options{FollowSymlinks: s.cfg.FollowSymlinks, Protected: s.stateDirs()})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("open root directory: %w", err)
	}
	var store contents.Store = fsstore.New(root, fsstore.Options{})
	if s.cfg.ContentsStore != "" {
		s3, err := s.s3Store()
		if err != nil {
			_ = root.Close()
			return nil, nil, nil, err
		}
		store = s3
	}
	// Notebook trust shares notebook_secret and nbsignatures.db with
	// Jupyter, so a notebook trusted in one is trusted in the other.
	notary := trust.OpenLazy(trust.Options{DataDir: s.cfg.TrustDataDir, Log: s.log})
	opts := contents.Options{
		AllowHidden:   s.cfg.AllowHidden,
		DeleteToTrash: s.cfg.DeleteToTrash,
		UploadExpiry:  cmp.Or(s.cfg.UploadExpiry, -1), // 0 = never
		Outputs:       s.outputs,
		Buffers:       s.bufs,
		Audit:         s.audit,
	}
	if budget != nil {
		opts.Memory = budget
	}
	s.meterContents(&opts) // file bytes read and written, whatever the store
	svc := contents.New(store, notary, opts, s.log)
	sweepCtx, stopSweeper := context.WithCancel(context.Background())
	var sweeper sync.WaitGroup
	sweeper.Go(func() { svc.RunUploadSweeper(sweepCtx) })
	return svc, root, func() {
		stopSweeper()
		sweeper.Wait()
		if err := notary.Close(); err != nil {
			s.log.Warn("could not close the signature database", "err", err)
		}
		_ = root.Close()
	}, nil
}

// s3Store opens the S3 store of --contents-store and, best effort (S3
// may be down: requests then get 503 until it is back), finds out whether
// it honours conditional writes, finishes moves a stopped server left
// half done and aborts its abandoned multipart uploads.
func (s *server) s3Store() (*s3store.Store, error) {
	st, err := s3store.New(s3store.Options{
		Bucket:    s.cfg.S3Bucket,
		Prefix:    s.cfg.S3Prefix,
		Endpoint:  s.cfg.S3Endpoint,
		Region:    s.cfg.S3Region,
		PathStyle: s.cfg.S3PathStyle,
		CAFile:    s.cfg.S3CA,
		SSE:       s.cfg.S3SSE,
		Timeout:   s.cfg.S3Timeout,
		Retries:   cmp.Or(s.cfg.S3Retries, -1), // 0 = never
		Log:       s.log,
	})
	if err != nil {
		return nil, fmt.Errorf("--contents-store: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.S3Timeout+5*time.Second)
	defer cancel()
	cond, err := st.Probe(ctx)
	log := s.log.With("bucket", s.cfg.S3Bucket, "prefix", s.cfg.S3Prefix)
	switch {
	case err != nil:
		msg, _ := errkind.Message(err)
		log.Error("S3 store not reachable at start; contents requests get 502/503 until it is", "reason", msg, "err", err)
		return st, nil
	case cond:
		log.Info("S3 store: conditional writes (If-Match / If-None-Match) keep saves conflict-safe across servers")
	default:
		log.Warn("S3 store: the service ignores conditional writes; saves compare the ETag, then write, so a short race window remains between servers sharing the bucket")
	}
	if n, err := st.Recover(ctx); err != nil {
		log.Warn("S3 store: cannot finish interrupted moves", "err", err)
	} else if n > 0 {
		log.Info("S3 store: finished moves a stopped server left half done", "moves", n)
	}
	if s.cfg.UploadExpiry > 0 {
		if n, err := st.AbortStaleUploads(ctx, s.cfg.UploadExpiry); err != nil {
			log.Warn("S3 store: cannot abort abandoned uploads", "err", err)
		} else if n > 0 {
			log.Info("S3 store: aborted abandoned multipart uploads", "uploads", n)
		}
	}
	return st, nil
}

// stateDirs are the directories holding Quire's own secrets, which the
// contents API must never reach even when the root contains them
// (CVE-2022-29241): the runtime dir (the runtime file with the token,
// kernel connection files with their HMAC keys), the data dir (cookie
// secret, sessions, the self-signed TLS key) and, in the trust data dir,
// only the trust files: it is Jupyter's data dir, whose kernelspecs a
// user may edit through Quire. A --keyfile of one's own is kept too.
func (s *server) stateDirs() []fsroot.Protected {
	var key []fsroot.Protected
	if s.cfg.KeyFile != "" {
		key = append(key, fsroot.Protected{Dir: filepath.Dir(s.cfg.KeyFile), Prefixes: []string{filepath.Base(s.cfg.KeyFile)}})
	}
	return append(key, []fsroot.Protected{
		{Dir: s.cfg.RuntimeDir},
		{Dir: s.cfg.DataDir},
		{Dir: s.cfg.TrustDataDir, Prefixes: []string{
			trust.SecretFile,       // and its temp files, with a dot in front:
			"." + trust.SecretFile, // see trust's secret.go
			trust.DatabaseFile,     // with -wal, -shm, -journal and .bak
		}},
	}...)
}

// Each implementation fits the interface its consumer declares.
var (
	_ httpapi.Contents           = (*contents.Service)(nil)
	_ contents.Store             = (*fsstore.Store)(nil)
	_ contents.Store             = (*s3store.Store)(nil)
	_ contents.ConditionalWriter = (*s3store.Store)(nil)
	_ contents.Multipart         = (*s3store.Store)(nil)
	_ contents.Copier            = (*s3store.Store)(nil)
	_ contents.Notary            = (*trust.Notary)(nil)
	_ contents.Notary            = (*trust.Lazy)(nil)
	_ contents.Outputs           = (*trust.Outputs)(nil)
	_ kernel.OutputRecorder      = (*trust.Outputs)(nil)
	_ contents.Budget            = (*membudget.Budget)(nil)
	_ httpapi.MemoryBudget       = (*membudget.Budget)(nil)
)

// identity is who the auth middleware found a request to be, for /api/me.
func identity(r *http.Request) (httpapi.User, bool) {
	id, ok := auth.FromContext(r.Context())
	return httpapi.User{Username: id.Username, Name: id.Name, DisplayName: id.DisplayName, Initials: id.Initials}, ok
}

// deviceMaxAge maps --login-device-max-age (0 = off) to auth.Options
// (0 = default, negative = off).
func deviceMaxAge(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
