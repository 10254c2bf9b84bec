package app

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"quire/internal/audit"
)

// openAudit opens --audit-log, if set, and reopens it on SIGHUP (after
// logrotate has moved it away) until ctx ends. A log that cannot be opened
// refuses the start: the operator asked for a record of who did what.
func (s *server) openAudit(ctx context.Context) error {
	if s.cfg.AuditLog == "" {
		return nil
	}
	mode, err := audit.ParseExecuteMode(s.cfg.AuditExecute)
	if err != nil {
		return fmt.Errorf("--audit-execute %w", err)
	}
	l, err := audit.Open(audit.Options{
		Path:              s.cfg.AuditLog,
		Stdout:            s.stdout,
		Execute:           mode,
		RefusalsPerMinute: s.cfg.AuditRefusals,
		Log:               s.log,
	})
	if err != nil {
		return fmt.Errorf("--audit-log: %w", err)
	}
	s.audit = l
	s.cleanup = append(s.cleanup, func() {
		if err := l.Close(); err != nil {
			s.log.Warn("could not close the audit log", "err", err)
		}
	})
	if s.cfg.AuditLog == "-" {
		return nil
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	stopped := make(chan struct{})
	s.cleanup = append(s.cleanup, func() {
		signal.Stop(hup)
		<-stopped
	})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-hup:
				if err := l.Reopen(); err != nil {
					s.log.Error("could not reopen the audit log on SIGHUP; still writing the old file", "err", err)
				} else {
					s.log.Info("audit log reopened", "path", s.cfg.AuditLog)
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return nil
}

// auditStart records the server's start with the settings that bear on
// its security; never a secret (the token, password hash, cookie secret).
func (s *server) auditStart(info serverInfo) {
	if s.audit == nil {
		return
	}
	authn := "none"
	switch {
	case s.hubEnv != nil:
		authn = "hub"
	case s.token != "" && s.passwordHash != "":
		authn = "token+password"
	case s.token != "":
		authn = "token"
	case s.passwordHash != "":
		authn = "password"
	}
	proxies := make([]string, 0, len(s.cfg.TrustedProxies))
	for _, p := range s.cfg.TrustedProxies {
		proxies = append(proxies, p.String())
	}
	s.audit.Record(context.Background(), audit.Event{Name: "server.start", Fields: audit.F{
		"version":             Version,
		"pid":                 info.PID,
		"ip":                  s.cfg.IP,
		"port":                info.Port,
		"sock":                s.cfg.Sock,
		"base_url":            s.cfg.BaseURL,
		"root_dir":            s.cfg.RootDir,
		"auth":                authn,
		"trusted_user_header": s.cfg.TrustedUserHeader,
		"trusted_proxies":     proxies,
		"allow_origins":       s.cfg.AllowOrigins,
		"allow_hosts":         s.cfg.AllowHosts,
		"tls":                 s.cfg.TLSEnabled(),
		"terminals":           s.cfg.Terminals,
		"allow_hidden":        s.cfg.AllowHidden,
		"follow_symlinks":     s.cfg.FollowSymlinks,
		"audit_execute":       s.cfg.AuditExecute,
	}})
}

// auditStop records the server's stop.
func (s *server) auditStop(reason string) {
	s.audit.Record(context.Background(), audit.Event{Name: "server.stop", Fields: audit.F{"version": Version, "reason": reason}})
}
