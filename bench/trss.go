package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// terminalRSSScenario measures what open terminals cost the server
// process (their shells are separate processes), with a browser attached
// and once every browser has gone.
func terminalRSSScenario(cfg config) scenario {
	counts := slices.Clone(cfg.rssKernels)
	slices.Sort(counts)
	last := counts[len(counts)-1]
	var rows []metric
	var names []string
	for _, n := range counts {
		rows = append(rows, metric{name: fmt.Sprintf("server RSS with %d terminal(s) open, WebSocket attached", n), unit: mebis})
		names = append(names, fmt.Sprint(n))
	}
	mZero := metric{name: "server RSS with 0 terminals (before the first)", unit: mebis}
	// Issue #17: what each terminal costs the server, goal at most a
	// quarter of jupyter_server's.
	mPer := metric{name: fmt.Sprintf("server memory per terminal, WebSocket attached ((RSS at %d − RSS at 0) ÷ %d)", last, last), unit: mebis, goal: 0.25}
	mDetached := metric{name: fmt.Sprintf("server RSS with %d terminal(s), every WebSocket closed", last), unit: mebis}
	mPerIdle := metric{name: fmt.Sprintf("server memory per idle terminal, no client ((that RSS − RSS at 0) ÷ %d)", last), unit: mebis, goal: 0.25}
	// Quire only (from the dump QUIRE_GOROUTINE_DUMP writes on SIGUSR1,
	// after a collection that returns free memory): what the terminals
	// hold, without the heap the Go runtime keeps from the burst of
	// opening them until its next collection.
	// jupyter_server has no such dump, so these go under observed.
	rows = append(rows, mZero, mPer, mDetached, mPerIdle)
	return scenario{
		name: "terminal-rss",
		about: fmt.Sprintf("one server start; terminals opened one by one (POST /api/terminals, WebSocket to terminals/websocket/<name>, "+
			"first stdout, the prompt, received; the WebSocket stays open) until %s are open; VmRSS of the server process alone "+
			"(the shells are separate processes) %v after each count is reached and once before the first; then every WebSocket is "+
			"closed and VmRSS read again after %v; then every terminal is deleted and the list checked empty. Quire only: before the first "+
			"terminal and after the WebSockets closed, it writes a goroutine dump on SIGUSR1 (QUIRE_GOROUTINE_DUMP) after a collection that "+
			"returns free memory; RssAnon and the runtime's heap objects and stacks are read then and listed under observed",
			strings.Join(names, ", then "), cfg.idleWait, cfg.idleWait),
		metrics: rows,
		rounds:  1,
		run: func(ctx context.Context, e *env, sp spec) (samples, error) {
			var dump string
			if sp.name == "Quire" {
				var b [4]byte
				_, _ = rand.Read(b[:])
				dump = filepath.Join(e.tmp, "terminal-rss-goroutines-"+hex.EncodeToString(b[:])+".txt")
				sp = withEnv(sp, "QUIRE_GOROUTINE_DUMP="+dump)
			}
			srv, err := startKernelServer(ctx, e, sp)
			if err != nil {
				return nil, err
			}
			defer srv.stop()
			var termNames []string
			var wss []*websocket.Conn
			defer func() {
				for _, c := range wss {
					c.CloseNow()
				}
			}()
			s := make(samples)
			if err := sleep(ctx, e.cfg.idleWait); err != nil {
				return s, err
			}
			zero, err := srv.rssMiB()
			if err != nil {
				return s, err
			}
			s.add(mZero.name, zero)
			var held0 soakLevels
			if dump != "" {
				if held0, err = soakRead(ctx, srv, dump); err != nil {
					return s, err
				}
			}
			var rss float64
			for i, n := range counts {
				for len(termNames) < n {
					name, c, err := openTerminal(ctx, srv)
					if err != nil {
						return s, err
					}
					termNames, wss = append(termNames, name), append(wss, c)
				}
				if err := sleep(ctx, e.cfg.idleWait); err != nil {
					return s, err
				}
				if rss, err = srv.rssMiB(); err != nil {
					return s, err
				}
				s.add(rows[i].name, rss)
			}
			s.add(mPer.name, (rss-zero)/float64(last))
			for _, c := range wss {
				c.Close(websocket.StatusNormalClosure, "")
			}
			wss = nil
			if err := sleep(ctx, e.cfg.idleWait); err != nil {
				return s, err
			}
			if rss, err = srv.rssMiB(); err != nil {
				return s, err
			}
			s.add(mDetached.name, rss)
			s.add(mPerIdle.name, (rss-zero)/float64(last))
			if dump != "" {
				held, err := soakRead(ctx, srv, dump)
				if err != nil {
					return s, err
				}
				goUse := func(l soakLevels) float64 {
					return l.goObjects + l.classes["/memory/classes/heap/stacks:bytes"]
				}
				e.observe(fmt.Sprintf("terminal-rss: Quire per idle terminal after a collection (%d terminals, WebSockets closed): "+
					"anonymous RSS %.1f KiB, Go heap objects and stacks %.1f KiB",
					last, (held.anon-held0.anon)*1024/float64(last), (goUse(held)-goUse(held0))*1024/float64(last)))
			}
			for _, name := range termNames {
				if _, err := srv.client.expect(ctx, http.MethodDelete, "/api/terminals/"+name, nil, 30*time.Second, http.StatusNoContent); err != nil {
					return s, err
				}
			}
			_, body, err := srv.client.get(ctx, "/api/terminals", 10*time.Second)
			if err != nil {
				return s, err
			}
			var left []json.RawMessage
			if err := json.Unmarshal(body, &left); err != nil || len(left) != 0 {
				return s, fmt.Errorf("terminals left after deleting them all: %s", body)
			}
			return s, srv.stop()
		},
	}
}

// openTerminal starts a terminal and attaches a WebSocket that has seen
// the shell's first output.
func openTerminal(ctx context.Context, srv *server) (string, *websocket.Conn, error) {
	r, err := srv.client.expect(ctx, http.MethodPost, "/api/terminals", []byte("{}"), 30*time.Second, http.StatusOK)
	if err != nil {
		return "", nil, err
	}
	var m struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(r.body, &m); err != nil || m.Name == "" {
		return "", nil, fmt.Errorf("POST /api/terminals: no terminal name in %s", r.body)
	}
	url := "ws" + strings.TrimPrefix(srv.url, "http") + "/terminals/websocket/" + m.Name
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(dctx, url, &websocket.DialOptions{
		HTTPHeader:      http.Header{"Authorization": {"token " + srv.token}},
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		return "", nil, fmt.Errorf("terminal WebSocket %s: %w", m.Name, err)
	}
	for {
		_, data, err := c.Read(dctx)
		if err != nil {
			c.CloseNow()
			return "", nil, fmt.Errorf("terminal %s: waiting for the prompt: %w", m.Name, err)
		}
		if strings.HasPrefix(string(data), `["stdout"`) {
			break
		}
	}
	// Keep reading (and dropping) so the server never sees a slow client.
	go func() {
		for {
			if _, _, err := c.Read(context.Background()); err != nil {
				return
			}
		}
	}()
	return m.Name, c, nil
}
