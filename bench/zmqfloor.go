package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"quire/internal/kernel/wire"
	"quire/internal/zmqx"
)

// zmqKernel talks to a kernel directly over ZeroMQ, as a server's bridge
// does (shell DEALER, iopub SUB), with no server in between: the floor any
// server's WebSocket round trip is measured against.
type zmqKernel struct {
	shell, iopub *zmqx.Socket
	signer       *wire.Signer
	session      string
	events       chan event
	stop         context.CancelFunc
	wg           sync.WaitGroup
	mu           sync.Mutex
	err          error // first reader failure
	done         chan struct{}
}

// dialFloor connects a direct ZeroMQ client to kernel id of srv, found
// through its connection file.
func dialFloor(ctx context.Context, srv *server, id string) (*zmqKernel, error) {
	cf, err := readConnFile(srv, id)
	if err != nil {
		return nil, err
	}
	return dialZMQ(ctx, cf)
}

// dialZMQ connects to the kernel described by c and waits until its iopub
// subscription is live (a SUB misses what is published before it joins).
func dialZMQ(ctx context.Context, c connFile) (*zmqKernel, error) {
	signer, err := wire.NewSigner(c.SignatureScheme, []byte(c.Key))
	if err != nil {
		return nil, err
	}
	session := wire.NewID()
	dctx, cancel := context.WithTimeout(ctx, kernelTimeout)
	defer cancel()
	shell, err := zmqx.Dial(dctx, zmqx.Dealer, c.endpoint(c.ShellPort), []byte(session))
	if err != nil {
		return nil, err
	}
	iopub, err := zmqx.Dial(dctx, zmqx.Sub, c.endpoint(c.IOPubPort), nil)
	if err != nil {
		shell.Close()
		return nil, err
	}
	rctx, stop := context.WithCancel(context.Background())
	z := &zmqKernel{shell: shell, iopub: iopub, signer: signer, session: session,
		events: make(chan event, 1024), stop: stop, done: make(chan struct{})}
	z.wg.Go(func() { z.read(rctx, "shell", shell) })
	z.wg.Go(func() { z.read(rctx, "iopub", iopub) })
	go func() { z.wg.Wait(); close(z.done) }()
	if err := z.nudge(dctx); err != nil {
		z.close()
		return nil, err
	}
	return z, nil
}

// nudge sends kernel_info_request every 200 ms until a message arrives on
// iopub, which proves the subscription is live, then drains the rest.
func (z *zmqKernel) nudge(ctx context.Context) error {
	for {
		if _, err := z.send(ctx, "shell", "kernel_info_request", map[string]any{}); err != nil {
			return err
		}
		t := time.NewTimer(200 * time.Millisecond)
	wait:
		for {
			select {
			case ev := <-z.events:
				if ev.channel == "iopub" {
					t.Stop()
					return z.drain(ctx, 300*time.Millisecond)
				}
			case <-t.C:
				break wait
			case <-z.done:
				t.Stop()
				return fmt.Errorf("floor client: %v", z.failure())
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("floor client: no iopub message: %w", ctx.Err())
			}
		}
	}
}

// drain discards events until none arrives for quiet.
func (z *zmqKernel) drain(ctx context.Context, quiet time.Duration) error {
	for {
		select {
		case <-z.events:
		case <-time.After(quiet):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (z *zmqKernel) read(ctx context.Context, channel string, s *zmqx.Socket) {
	for {
		frames, err := s.Recv()
		var ev event
		if err == nil {
			var m *wire.Message
			if m, err = z.signer.Decode(frames); err == nil {
				ev, err = parseEvent(channel, m)
			}
		}
		if err != nil {
			z.fail(fmt.Errorf("%s: %w", channel, err))
			return
		}
		select {
		case z.events <- ev:
		case <-ctx.Done():
			return
		}
	}
}

func (z *zmqKernel) fail(err error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.err == nil {
		z.err = err
	}
}

func (z *zmqKernel) failure() error {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.err
}

// send signs and sends a new message on shell (the only channel the floor
// uses) and returns its msg_id.
func (z *zmqKernel) send(_ context.Context, channel, msgType string, content any) (string, error) {
	if channel != "shell" {
		return "", fmt.Errorf("floor client sends on shell only, not %s", channel)
	}
	m, err := wire.NewMessage(msgType, z.session, "bench", content, nil)
	if err != nil {
		return "", err
	}
	h, err := m.ParseHeader()
	if err != nil {
		return "", err
	}
	if err := z.shell.Send(z.signer.Encode(m)); err != nil {
		return "", err
	}
	return h.MsgID, nil
}

func (z *zmqKernel) next(ctx context.Context) (event, error) {
	select {
	case ev := <-z.events:
		return ev, nil
	case <-z.done:
		return event{}, fmt.Errorf("floor client stopped: %v", z.failure())
	case <-ctx.Done():
		return event{}, ctx.Err()
	}
}

func (z *zmqKernel) close() {
	z.stop()
	z.shell.Close()
	z.iopub.Close()
	<-z.done // readers fail with zmqx.ErrClosed; that is the way out
}
