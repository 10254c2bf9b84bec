package app

import (
	"context"
	"errors"
	"strings"

	"quire/internal/config"
	"quire/internal/fsroot"
	"quire/internal/httpapi"
	"quire/internal/terminal"
	"quire/internal/wsbridge"
)

// newTerminals builds the terminal manager from the settings: the shell
// inherits the server's environment less Quire's secrets (Config.ChildEnv,
// as kernels do), and its processes get --kernel-shutdown-wait after
// SIGHUP before SIGKILL.
func newTerminals(cfg *config.Config, environ []string, s *server) *terminal.Manager {
	root := cfg.RootDir
	if cfg.ContentsStore != "" {
		root = cfg.KernelRootDir // where terminals start: S3 keys are no directory
	}
	env := append(cfg.ChildEnv(environ), "JUPYTER_SERVER_ROOT="+root)
	return terminal.NewManager(terminal.Options{
		Command:          strings.Fields(cfg.TerminalShell),
		Env:              env,
		Scrollback:       int(cfg.TerminalScrollback),
		Max:              cfg.MaxTerminals,
		ShutdownWait:     cfg.KernelShutdownWait,
		ClientQueueBytes: int(min(cfg.ClientQueueBytes, 1<<40)),
		CullTimeout:      cfg.TerminalCullTimeout,
		CullInterval:     cfg.CullInterval,
		Log:              s.log,
		Audit:            s.audit,
		SlowClient:       s.slowTerminalMeter(),
		OnActivity:       s.hubActivity(),
	})
}

// terminals serves the terminal routes from the manager, resolving each
// terminal's cwd inside the root as the contents API resolves paths.
type terminals struct {
	*terminal.Manager
	root *fsroot.Root
}

func (t terminals) Create(ctx context.Context, name, cwd string) (terminal.Model, error) {
	dir, err := terminal.DirIn(t.root, cwd)
	if err != nil {
		return terminal.Model{}, err
	}
	return t.Manager.Create(ctx, name, dir)
}

func (t terminals) Attach(name string) (wsbridge.TextConn, error) {
	c, err := t.Manager.Attach(name)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return termConn{c}, nil
}

// termConn tells the client why its terminal connection ended, in a close
// code: 1000 once the shell has ended (JupyterLab then does not
// reconnect), 1013 (try again later) when it fell too far behind, so it
// reconnects and catches up from the scrollback.
type termConn struct{ *terminal.Client }

func (c termConn) Next(ctx context.Context) ([]byte, error) {
	return closeCode(c.Client.Next(ctx))
}

// TryNext lets the WebSocket's handler goroutine write the terminal's
// output itself (wsbridge.TextPoller), with no write pump per connection.
func (c termConn) TryNext() ([]byte, error) {
	return closeCode(c.Client.TryNext())
}

func closeCode(msg []byte, err error) ([]byte, error) {
	switch {
	case errors.Is(err, terminal.ErrEnded):
		return nil, &wsbridge.CloseError{Code: 1000, Reason: "terminal ended"}
	case errors.Is(err, terminal.ErrTooSlow):
		return nil, &wsbridge.CloseError{Code: 1013, Reason: "client too slow: too much terminal output queued"}
	}
	return msg, err
}

// Each adapter fits the interface its consumer declares.
var (
	_ httpapi.Terminals   = terminals{}
	_ wsbridge.TextConn   = termConn{}
	_ wsbridge.TextPoller = termConn{}
)
