package kernel

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"
)

// hbConn is the heartbeat socket of a generation and what its reader saw.
// The kernel's hb socket is a ROUTER echo device: each frame a DEALER
// sends comes back unchanged.
type hbConn struct {
	s      Socket
	latest atomic.Uint64 // highest ping number echoed
	echo   chan struct{} // cap 1: an echo arrived
	failed chan struct{} // closed when Recv fails (peer gone or closed)
}

// heartbeat pings the kernel's hb socket every HeartbeatInterval until
// g.ctx ends, waiting up to one interval for each echo. Misses count only
// once the kernel has answered once, or KernelInfoTimeout after the start
// (a slow start is not a hang). After HeartbeatMisses misses in a row the
// kernel is marked unresponsive while its process runs on; an echo
// afterwards (or any message from it) clears that. Process death is
// exited's business.
//
// One socket serves the generation (dialled again only after it fails)
// and one reader goroutine waits on it, as Socket.Recv has no deadline.
// A ping reuses one 8-byte payload: its number, so that echoes of earlier
// pings (a stopped kernel answers all of them when it resumes) do not
// count for the current one.
func (k *Kernel) heartbeat(g *generation) {
	iv, maxMisses := k.m.o.HeartbeatInterval, k.m.o.HeartbeatMisses
	began := time.Now()
	armAt := began.Add(k.m.o.KernelInfoTimeout)
	lastBeat := began
	armed, misses, lost := false, 0, false

	var c *hbConn
	defer func() {
		if c != nil {
			c.s.Close() // ends the reader
		}
	}()
	var seq uint64
	payload := make([]byte, 8)
	frames := [][]byte{payload}
	round := time.NewTimer(iv)
	defer round.Stop()
	for {
		round.Reset(iv)
		ended := false // the round's timer fired
		beat := false
		if c == nil {
			c = k.dialHeartbeat(g, iv)
		}
		if c != nil {
			seq++
			binary.BigEndian.PutUint64(payload, seq)
			if err := c.s.Send(frames); err != nil {
				c.s.Close()
				c = nil
			}
		}
	wait:
		for c != nil && !beat {
			select {
			case <-c.echo:
				beat = c.latest.Load() >= seq
			case <-c.failed:
				c.s.Close()
				c = nil
			case <-round.C:
				ended = true
				break wait
			case <-g.ctx.Done():
				return
			}
		}
		if !ended { // the rest of the round
			select {
			case <-round.C:
			case <-g.ctx.Done():
				return
			}
		}
		if g.ctx.Err() != nil {
			return
		}

		now := time.Now()
		switch {
		case beat:
			if lost {
				k.heartbeatBack(g, now.Sub(lastBeat))
				lost = false
			}
			lastBeat, armed, misses = now, true, 0
		case armed || now.After(armAt):
			armed = true
			misses++
			k.m.o.event(EventHeartbeatMiss)
			if misses >= maxMisses && !lost {
				lost = k.heartbeatLost(g, now.Sub(lastBeat))
			}
		}
	}
}

// dialHeartbeat dials the hb socket within d and starts its reader in
// g.wg, or returns nil (a kernel not listening yet, or stopped).
func (k *Kernel) dialHeartbeat(g *generation, d time.Duration) *hbConn {
	ctx, cancel := context.WithTimeout(g.ctx, d)
	defer cancel()
	s, err := k.m.o.Dial(ctx, Dealer, k.info.endpoint("hb"), nil)
	if err != nil {
		return nil
	}
	c := &hbConn{s: s, echo: make(chan struct{}, 1), failed: make(chan struct{})}
	// Closing at g.ctx's end also frees a Send blocked on a kernel stopped
	// so long that its unanswered pings filled the TCP buffers.
	stop := context.AfterFunc(g.ctx, func() { s.Close() })
	g.wg.Go(func() {
		defer close(c.failed)
		defer stop()
		for {
			frames, err := s.Recv()
			if err != nil {
				return
			}
			if len(frames) != 1 || len(frames[0]) != 8 {
				continue
			}
			if n := binary.BigEndian.Uint64(frames[0]); n > c.latest.Load() {
				c.latest.Store(n)
			}
			select {
			case c.echo <- struct{}{}:
			default:
			}
		}
	})
	return c
}

// heartbeatLost marks the kernel unresponsive after silent without echoes,
// unless the generation is ending or being replaced anyway. It reports
// whether it did. Its execution_state and the sessions' streams stay as
// they are: Jupyter clients take "dead" as final (JupyterLab disposes the
// connection), while a stopped or frozen process may go on; only its REST
// model says it is not answering.
func (k *Kernel) heartbeatLost(g *generation, silent time.Duration) bool {
	silent = silent.Round(100 * time.Millisecond)
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.gen != g || g.ctx.Err() != nil || g.expectExit || g.hbLost || k.removed {
		return false
	}
	switch k.state {
	case "dead", "restarting":
		return false
	}
	k.log.Warn("kernel stopped answering heartbeats", "pid", g.pid, "silent", silent.String(), "execution_state", k.state)
	g.setLost(true, fmt.Sprintf("kernel stopped answering heartbeats for %s (process %d still running)", silent, g.pid))
	return true
}

// setLost marks g as no longer answering heartbeats, or as answering
// again, closing hbLostC while it is marked so that waits which need the
// kernel to answer (a ZMTP handshake) can give up. Kernel.mu is held.
func (g *generation) setLost(lost bool, reason string) {
	if lost == g.hbLost {
		return
	}
	g.hbLost, g.hbReason = lost, reason
	if lost {
		close(g.hbLostC)
	} else {
		g.hbLostC = make(chan struct{})
	}
}

// heartbeatBack undoes heartbeatLost once echoes come back.
func (k *Kernel) heartbeatBack(g *generation, silent time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.reviveLocked(g, "heartbeat after "+silent.Round(100*time.Millisecond).String())
}

// reviveLocked undoes heartbeatLost. Echoes are one proof of life; a
// message on iopub or a reply is another, often sooner (a stopped process
// sends nothing). k.mu is held.
func (k *Kernel) reviveLocked(g *generation, via string) {
	if !g.hbLost {
		return
	}
	g.setLost(false, "")
	if k.gen == g && g.ctx.Err() == nil && !g.expectExit && !k.removed {
		k.log.Info("kernel is answering again", "pid", g.pid, "via", via)
	}
}
