package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"

	"quire/internal/config"
	"quire/internal/guard"
	"quire/internal/tlsx"
)

// acmeConfig builds the certificate manager of --acme-domain and returns
// the TLS configuration of the HTTPS listener; startACME sets it to work.
func (s *server) acmeConfig() (*tls.Config, error) {
	a := s.cfg.ACME
	certs, err := tlsx.NewACME(tlsx.ACMEOptions{
		Domains:      a.Domains,
		Email:        a.Email,
		DirectoryURL: a.Directory,
		CARootFile:   a.CARoot,
		EABKeyID:     a.EABKeyID,
		EABHMAC:      a.EABHMAC,
		CacheDir:     filepath.Join(s.cfg.DataDir, "acme"),
		RenewBefore:  a.RenewBefore,
		Retry:        a.Retry,
		MaxRetry:     config.MaxACMERetry,
		UserAgent:    "quire/" + Version,
		Log:          s.log,
	})
	if err != nil {
		return nil, err
	}
	s.acme = certs
	return certs.TLSConfig(), nil
}

// startACME opens the plain-HTTP listener of --acme-http-port (HTTP-01
// challenges; every other request is redirected to HTTPS on the TLS
// port) and starts getting certificates. It returns the function that
// stops both and waits for them; both also stop when ctx ends.
func (s *server) startACME(ctx context.Context, tlsPort int) (func(), error) {
	var wg sync.WaitGroup
	var srv *http.Server
	if p := s.cfg.ACME.HTTPPort; p != 0 {
		ln, err := net.Listen("tcp", net.JoinHostPort(listenHost(s.cfg.IP), strconv.Itoa(p)))
		if err != nil {
			if errors.Is(err, syscall.EACCES) {
				return nil, fmt.Errorf("listen on port %d for ACME HTTP-01 and the redirect to HTTPS: %w; ports below 1024 need root or CAP_NET_BIND_SERVICE (setcap cap_net_bind_service=+ep on the quire binary), or use --acme-http-port 0 for TLS-ALPN-01 only", p, err)
			}
			return nil, fmt.Errorf("listen on port %d for ACME HTTP-01 and the redirect to HTTPS (--acme-http-port): %w", p, err)
		}
		// Only challenges and redirects are answered here, never the
		// notebook server: nothing of it travels in clear text.
		redirect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			guard.RedirectHTTPS(w, r, s.acme.Name(r.Host), tlsPort)
		})
		srv = &http.Server{
			Handler:           s.conns.Handler(s.acme.HTTPHandler(redirect)),
			ReadHeaderTimeout: s.cfg.HTTPHeaderTimeout,
			IdleTimeout:       s.cfg.HTTPIdleTimeout,
			MaxHeaderBytes:    int(s.cfg.MaxHeaderSize),
			ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
			ConnContext:       s.conns.ConnContext,
		}
		wg.Go(func() {
			if err := srv.Serve(s.conns.Listener(ln)); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("ACME HTTP listener stopped", "err", err)
			}
		})
		s.log.Info("ACME: HTTP-01 challenges and redirects to HTTPS on port "+strconv.Itoa(p), "port", p)
	}
	ctx, cancel := context.WithCancel(ctx)
	wg.Go(func() { s.acme.Run(ctx) })
	return func() {
		cancel()
		if srv != nil {
			_ = srv.Close() // challenges and redirects: nothing worth waiting for
		}
		wg.Wait()
	}, nil
}

// acmeWarnings says when the CA is unlikely to reach Quire: Let's Encrypt
// validates TLS-ALPN-01 on port 443 and HTTP-01 on port 80 only, and a
// loopback address is out of its reach unless something forwards to it.
func (s *server) acmeWarnings() {
	a := s.cfg.ACME
	if s.cfg.Port != 443 && a.HTTPPort != 80 {
		s.log.Warn("ACME: public CAs such as Let's Encrypt validate on port 443 (TLS-ALPN-01) or 80 (HTTP-01) only; with --port and --acme-http-port elsewhere, certificates come only if something forwards one of those ports here",
			"port", s.cfg.Port, "acme_http_port", a.HTTPPort)
	}
	if loopbackOnly(s.cfg.IP) {
		s.log.Warn("ACME: listening on a loopback address, which the CA cannot reach unless something forwards to it; use --ip 0.0.0.0 (or this machine's public address)",
			"ip", s.cfg.IP)
	}
}
