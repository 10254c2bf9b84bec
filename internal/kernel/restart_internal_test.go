package kernel

import (
	"context"
	"errors"
	"log/slog"
	"os/exec"
	"testing"
	"time"

	"quire/internal/kernel/wire"
	"quire/internal/kernelspec"
	"quire/internal/zmqx"
)

// TestSendWaitsForRestart checks the signal a Send waits on while a restart
// has taken its link's sockets away: the Send goes through to the kernel
// once the restart ends, and gives up when its Conn ends first. The test
// plays the restart's part for the link (close the sockets, mark the
// restart, re-dial, end it) on a real ipykernel, so that the moment the
// restart ends is the test's to choose.
func TestSendWaitsForRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real ipykernel")
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import ipykernel").Run(); err != nil {
		t.Skip("/usr/bin/python3 cannot import ipykernel")
	}
	dial := func(ctx context.Context, kind SocketKind, endpoint string, identity []byte) (Socket, error) {
		s, err := zmqx.Dial(ctx, zmqx.Kind(kind), endpoint, identity)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	log := slog.New(slog.DiscardHandler)
	m := NewManager(kernelspec.Load([]string{"/usr/share/jupyter/kernels"}, log), Options{
		RuntimeDir: t.TempDir(), Dial: dial, Log: log,
		ShutdownWait: 2 * time.Second, KernelInfoTimeout: 30 * time.Second,
	})
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	k, err := m.Start(ctx, "python3", StartOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}

	// begin takes c's link down as a restart does, and returns its end.
	begin := func(c *Conn) (end func()) {
		k.mu.Lock()
		prev := k.state
		k.state = "restarting"
		done := k.beginRestartLocked()
		k.mu.Unlock()
		c.l.closeSockets()
		return func() {
			if err := k.dialLink(ctx, c.l); err != nil {
				t.Errorf("re-dial: %v", err)
			}
			k.mu.Lock()
			k.state = prev
			k.mu.Unlock()
			k.endRestart(done)
		}
	}
	sendInfo := func(c *Conn) (string, <-chan error) {
		msg, err := wire.NewMessage("kernel_info_request", c.Session(), "test", map[string]any{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() { errc <- c.Send("shell", msg) }()
		h, err := msg.ParseHeader()
		if err != nil {
			t.Fatal(err)
		}
		return h.MsgID, errc
	}
	// The Send must still wait after this long: on a loaded machine a
	// wrong (non-waiting) Send returns in microseconds.
	const stillWaiting = 300 * time.Millisecond

	t.Run("proceeds when the restart ends", func(t *testing.T) {
		c, err := k.Connect(ctx, "waits")
		if err != nil {
			t.Fatalf("Connect: %v", err)
		}
		defer c.Close()
		end := begin(c)
		id, errc := sendInfo(c)
		select {
		case err := <-errc:
			end()
			t.Fatalf("Send returned %v during the restart; want it to wait", err)
		case <-time.After(stillWaiting):
		}
		end()
		select {
		case err := <-errc:
			if err != nil {
				t.Fatalf("Send after the restart: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Send still waiting after the restart ended")
		}
		for {
			ch, msg, err := c.Recv(ctx)
			if err != nil {
				t.Fatalf("no reply to the request sent across the restart: %v", err)
			}
			if p, _ := msg.ParseParent(); ch == "shell" && p.MsgID == id {
				if h, _ := msg.ParseHeader(); h.MsgType != "kernel_info_reply" {
					t.Fatalf("reply %s, want kernel_info_reply", h.MsgType)
				}
				return
			}
		}
	})

	t.Run("gives up when its Conn ends", func(t *testing.T) {
		c, err := k.Connect(ctx, "gives-up")
		if err != nil {
			t.Fatalf("Connect: %v", err)
		}
		end := begin(c)
		defer end()
		_, errc := sendInfo(c)
		select {
		case err := <-errc:
			t.Fatalf("Send returned %v during the restart; want it to wait", err)
		case <-time.After(stillWaiting):
		}
		c.Close()
		select {
		case err := <-errc:
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("Send = %v, want ErrClosed", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Send still waiting after its Conn was closed")
		}
	})

	t.Run("no restart: no wait", func(t *testing.T) {
		c, err := k.Connect(ctx, "no-restart")
		if err != nil {
			t.Fatalf("Connect: %v", err)
		}
		defer c.Close()
		c.l.closeSockets() // as after a restart that could not re-dial it
		_, errc := sendInfo(c)
		select {
		case err := <-errc:
			if err == nil {
				t.Fatal("Send on a link without sockets succeeded")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Send waits though no restart runs")
		}
	})
}
