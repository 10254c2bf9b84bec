//go:build !nometrics

package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"quire/internal/contents"
	"quire/internal/errkind"
	"quire/internal/guard"
	"quire/internal/httpapi"
	"quire/internal/kernel"
	"quire/internal/metrics"
	"quire/internal/wsbridge"
)

// meterSet is the server's metrics (the -tags nometrics build, which only
// the benchmark uses to measure what metrics cost, has none: metrics_off.go).
type meterSet = metrics.Server

// newMetrics builds the server's metrics unless --metrics=false and no
// --metrics-addr leave nobody to read them (nil: nothing is counted).
func (s *server) newMetrics() *meterSet {
	if !s.cfg.Metrics && s.cfg.MetricsAddr == "" {
		return nil
	}
	return metrics.NewServer(s.cfg.BaseURL)
}

// observeManagers registers the figures read from the kernel and terminal
// managers at scrape time, once they exist.
func (s *server) observeManagers() {
	m := s.metrics
	if m == nil {
		return
	}
	m.ObserveKernels(s.specNames, s.kernelsByType)
	m.ObserveOfflineBuffers(s.kernels.OfflineBytes)
	if s.terms != nil {
		m.ObserveTerminals(func() int { n, _ := s.terms.Counts(); return n })
	}
	if s.audit != nil {
		m.ObserveAuditWriteErrors(s.audit.WriteErrors) // --audit-log's failed writes
	}
}

// specNames lists the installed kernelspecs' names.
func (s *server) specNames() []string {
	var names []string
	for _, sp := range s.specs.List() {
		names = append(names, sp.Name)
	}
	return names
}

// kernelsByType counts the kernels the manager holds by kernelspec name.
func (s *server) kernelsByType() map[string]int {
	n := map[string]int{}
	for _, k := range s.kernels.List() {
		n[k.Name()]++
	}
	return n
}

// kernelMeter is the kernel manager's meter: nil without metrics (never a
// nil *metrics.Server inside the interface).
func (s *server) kernelMeter() kernel.Meter {
	if s.metrics == nil {
		return nil
	}
	return s.metrics
}

// wsMeter is the WebSocket bridges' meter, nil without metrics.
func (s *server) wsMeter() wsbridge.Meter {
	if s.metrics == nil {
		return nil
	}
	return s.metrics
}

// slowTerminalMeter counts terminal clients dropped as too slow, nil
// without metrics.
func (s *server) slowTerminalMeter() func() {
	if s.metrics == nil {
		return nil
	}
	return s.metrics.SlowTerminalClient
}

// loginMeter is auth's Logins hook, nil without metrics.
func (s *server) loginMeter() func(string) {
	if s.metrics == nil {
		return nil
	}
	return s.metrics.Login
}

// meterAPI counts saves, labels requests by route and serves
// {base}metrics (unless --metrics=false), when there are metrics.
func (s *server) meterAPI(deps *httpapi.Deps, sessions func() int) {
	if s.metrics == nil {
		return
	}
	s.metrics.ObserveSessions(sessions)
	deps.Contents = meteredContents{deps.Contents, s.metrics}
	deps.Routed = metrics.Routed
	if s.cfg.Metrics {
		deps.Metrics = s.metrics.Registry.Handler()
	}
}

// meterRequests times every request for http_request_duration_seconds,
// when there are metrics.
func (s *server) meterRequests(h http.Handler) http.Handler {
	if s.metrics == nil {
		return h
	}
	return s.metrics.Middleware(h)
}

// meterContents has the contents service count the file bytes it reads
// and writes, whatever the store, when there are metrics.
func (s *server) meterContents(opts *contents.Options) {
	if s.metrics == nil {
		return
	}
	opts.BytesRead, opts.BytesWritten = s.metrics.ContentsRead.Add, s.metrics.ContentsWritten.Add
}

// serveMetrics serves the metrics without authentication at /metrics on
// --metrics-addr until ctx ends; the function returned waits for it.
func (s *server) serveMetrics(ctx context.Context) (func(), error) {
	ln, err := net.Listen("tcp", s.cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	host, _, _ := net.SplitHostPort(s.cfg.MetricsAddr)
	loopback := loopbackOnly(host)
	if !loopback {
		s.log.Warn("--metrics-addr is not a loopback address: anyone who can reach it reads the metrics without authentication", "addr", ln.Addr().String())
	}
	// On loopback, the Host check that guards the main listener keeps web
	// pages from reading the metrics through DNS rebinding.
	g, err := guard.New(guard.Options{BaseURL: "/", HostCheck: loopback, Log: s.log})
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	s.log.Info("serving metrics without authentication", "addr", ln.Addr().String(), "path", "/metrics")
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metrics.Registry.Handler())
	srv := &http.Server{
		Handler:           g.HostOrigin(mux),
		ReadHeaderTimeout: s.cfg.HTTPHeaderTimeout,
		IdleTimeout:       s.cfg.HTTPIdleTimeout,
		MaxHeaderBytes:    int(s.cfg.MaxHeaderSize),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Warn("metrics listener stopped", "err", err)
		}
	}()
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	return func() {
		if stop() { // ctx has not ended: stop the listener now
			_ = srv.Close()
		}
		<-done
	}, nil
}

// meteredContents counts saves and those refused as stale (412).
type meteredContents struct {
	httpapi.Contents
	m *metrics.Server
}

func (c meteredContents) Save(ctx context.Context, p string, req contents.SaveRequest) (*contents.Model, bool, error) {
	m, created, err := c.Contents.Save(ctx, p, req)
	c.m.Saves.Inc()
	if errkind.Of(err) == errkind.Stale {
		c.m.SaveConflicts.Inc()
	}
	return m, created, err
}

// Each hook fits the interface its consumer declares.
var (
	_ kernel.Meter     = (*metrics.Server)(nil)
	_ wsbridge.Meter   = (*metrics.Server)(nil)
	_ httpapi.Contents = meteredContents{}
)
