package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"quire/internal/errkind"
	"quire/internal/fsroot"
	"quire/internal/httpapi"
	"quire/internal/kernel"
	"quire/internal/kernel/wire"
	"quire/internal/kernelspec"
	"quire/internal/session"
	"quire/internal/wsbridge"
	"quire/internal/zmqx"
)

// dialZMQ adapts zmqx to the socket interface package kernel declares.
func dialZMQ(ctx context.Context, kind kernel.SocketKind, endpoint string, identity []byte) (kernel.Socket, error) {
	var k zmqx.Kind
	switch kind {
	case kernel.Dealer:
		k = zmqx.Dealer
	case kernel.Sub:
		k = zmqx.Sub
	case kernel.Req:
		k = zmqx.Req
	default:
		return nil, fmt.Errorf("unknown socket kind %d", kind)
	}
	s, err := zmqx.Dial(ctx, k, endpoint, identity)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return s, nil
}

// kernels serves the REST kernel routes, the sessions' kernel needs and
// the kernelspec routes from one kernel manager, starting each kernel where
// kernel.StartIn puts it inside the root.
type kernels struct {
	m    *kernel.Manager
	root *fsroot.Root
}

func (k *kernels) start(ctx context.Context, name, p string) (*kernel.Kernel, error) {
	o, err := kernel.StartIn(k.root, p)
	if err != nil {
		return nil, err
	}
	kk, err := k.m.Start(ctx, name, o) // "" = the manager's default spec
	if err != nil {
		if name == "" {
			return nil, fmt.Errorf("start default kernel: %w", err)
		}
		return nil, fmt.Errorf("start kernel %q: %w", name, err)
	}
	return kk, nil
}

func (k *kernels) List() []kernel.Model {
	list := k.m.List()
	out := make([]kernel.Model, 0, len(list))
	for _, kk := range list {
		out = append(out, kk.Model())
	}
	return out
}

func (k *kernels) Get(id string) (kernel.Model, bool) {
	kk, ok := k.m.Get(id)
	if !ok {
		return kernel.Model{}, false
	}
	return kk.Model(), true
}

func (k *kernels) Start(ctx context.Context, name, p string) (kernel.Model, error) {
	kk, err := k.start(ctx, name, p)
	if err != nil {
		return kernel.Model{}, err
	}
	return kk.Model(), nil
}

func (k *kernels) Shutdown(ctx context.Context, id string) error { return k.m.Shutdown(ctx, id) }

func (k *kernels) Interrupt(ctx context.Context, id string) error { return k.m.Interrupt(ctx, id) }

func (k *kernels) Restart(ctx context.Context, id string) (kernel.Model, error) {
	kk, err := k.m.Restart(ctx, id)
	if err != nil {
		return kernel.Model{}, err
	}
	return kk.Model(), nil
}

func (k *kernels) Connect(ctx context.Context, id, sessionID string) (wsbridge.KernelConn, error) {
	kk, ok := k.m.Get(id)
	if !ok {
		return nil, errkind.Newf(errkind.NotFound, "Kernel does not exist: %s", id)
	}
	c, err := kk.Connect(ctx, sessionID)
	if err != nil {
		return nil, fmt.Errorf("connect to kernel %s: %w", id, err)
	}
	return bridgeConn{c}, nil
}

// bridgeConn fits a kernel connection to the bridge's interface.
type bridgeConn struct{ *kernel.Conn }

func (c bridgeConn) Close() { _ = c.Conn.Close() }

// Recv tells the client why the kernel side ended, in a close code it
// reconnects on.
func (c bridgeConn) Recv(ctx context.Context) (string, *wire.Message, error) {
	ch, m, err := c.Conn.Recv(ctx)
	if errors.Is(err, kernel.ErrReplaced) {
		return ch, m, &wsbridge.CloseError{Code: wsbridge.CodeSessionReplaced, Reason: "replaced by a newer connection of the same session"}
	}
	return ch, m, err
}

// sessionKernels is the kernel side as the session service sees it.
type sessionKernels struct{ *kernels }

func (s sessionKernels) Start(ctx context.Context, name, p string) (string, error) {
	kk, err := s.start(ctx, name, p)
	if err != nil {
		return "", err
	}
	return kk.ID(), nil
}

func (s sessionKernels) Exists(id string) bool {
	_, ok := s.m.Get(id)
	return ok
}

// specs serves the kernelspec routes.
type specs struct{ s *kernelspec.Specs }

func (s specs) Models(base string) (string, map[string]any) {
	out := map[string]any{}
	for _, sp := range s.s.List() {
		out[sp.Name] = sp.Model(base)
	}
	return s.s.Default(), out
}

func (s specs) Model(name, base string) (any, bool) {
	sp, ok := s.s.Get(name)
	if !ok {
		return nil, false
	}
	return sp.Model(base), true
}

func (s specs) Resource(name, file string) (io.ReadSeekCloser, time.Time, error) {
	sp, ok := s.s.Get(name)
	if !ok {
		return nil, time.Time{}, errkind.Newf(errkind.NotFound, "Kernel spec %s not found", name)
	}
	f, fi, err := sp.Open(file)
	if err != nil {
		return nil, time.Time{}, errkind.New(errkind.NotFound, "no such kernelspec file: "+file, err)
	}
	return f, fi.ModTime(), nil
}

// Each adapter fits the interface its consumer declares.
var (
	_ httpapi.Kernels     = (*kernels)(nil)
	_ httpapi.KernelSpecs = specs{}
	_ session.Kernels     = sessionKernels{}
	_ httpapi.Sessions    = (*session.Service)(nil)
	_ wsbridge.KernelConn = bridgeConn{}
)
