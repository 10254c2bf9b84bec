package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"

	"quire/internal/kernel/wire"
	"quire/internal/wsbridge"
)

// v1Protocol is the kernel WebSocket subprotocol JupyterLab offers.
const v1Protocol = wsbridge.Subprotocol

// event is what the harness needs of one kernel message: where it came
// from, what it answers, and the few content fields the scenarios count.
type event struct {
	channel string
	msgType string
	msgID   string
	parent  string // parent msg_id
	state   string // status: execution_state
	stream  string // stream: name
	bytes   int    // stream: length of text in bytes
	lines   int    // stream: newlines in text
}

// parseEvent extracts an event from a decoded message. Content is parsed
// only for status and stream messages.
func parseEvent(channel string, m *wire.Message) (event, error) {
	var h, p struct {
		MsgID   string `json:"msg_id"`
		MsgType string `json:"msg_type"`
	}
	if err := json.Unmarshal(m.Header, &h); err != nil {
		return event{}, fmt.Errorf("header: %w", err)
	}
	if len(m.ParentHeader) > 0 {
		if err := json.Unmarshal(m.ParentHeader, &p); err != nil {
			return event{}, fmt.Errorf("parent header: %w", err)
		}
	}
	ev := event{channel: channel, msgType: h.MsgType, msgID: h.MsgID, parent: p.MsgID}
	switch h.MsgType {
	case "status":
		var c struct {
			State string `json:"execution_state"`
		}
		if err := json.Unmarshal(m.Content, &c); err != nil {
			return ev, fmt.Errorf("status content: %w", err)
		}
		ev.state = c.State
	case "stream":
		var c struct {
			Name string `json:"name"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(m.Content, &c); err != nil {
			return ev, fmt.Errorf("stream content: %w", err)
		}
		ev.stream, ev.bytes, ev.lines = c.Name, len(c.Text), strings.Count(c.Text, "\n")
	}
	return ev, nil
}

// kernelWS is one client of a kernel's channels WebSocket. A reader
// goroutine decodes every frame into events, in order.
type kernelWS struct {
	conn    *websocket.Conn
	proto   string // negotiated subprotocol; "" is the legacy JSON protocol
	session string
	events  chan event
	stop    context.CancelFunc
	done    chan struct{} // closed when the reader has exited
	err     error         // why the reader exited; valid after done
}

// dialKernel opens /api/kernels/<id>/channels with a fresh session_id,
// offering the v1 subprotocol when v1 is set (as JupyterLab does) and
// nothing otherwise (the legacy protocol).
func dialKernel(ctx context.Context, srv *server, id string, v1 bool) (*kernelWS, error) {
	session := wire.NewID()
	url := "ws" + strings.TrimPrefix(srv.url, "http") + "/api/kernels/" + id + "/channels?session_id=" + session
	h := http.Header{"Authorization": {srv.client.authorization()}}
	if srv.client.origin != "" {
		h.Set("Origin", srv.client.origin)
	}
	opts := &websocket.DialOptions{
		HTTPClient:      srv.client.hc, // no timeout; its transport's TLS settings and dialer
		HTTPHeader:      h,
		CompressionMode: websocket.CompressionDisabled,
	}
	if v1 {
		opts.Subprotocols = []string{v1Protocol}
	}
	dctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(dctx, url, opts)
	if err != nil {
		status, body := 0, ""
		if resp != nil {
			status = resp.StatusCode
			if resp.Body != nil { // the library keeps the first 1 KiB of a refusal
				b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
				body = strings.TrimSpace(string(b))
			}
		}
		if body != "" {
			return nil, fmt.Errorf("kernel WebSocket (status %d, %s): %w", status, body, err)
		}
		return nil, fmt.Errorf("kernel WebSocket (status %d): %w", status, err)
	}
	conn.SetReadLimit(1 << 30)
	rctx, stop := context.WithCancel(context.Background())
	k := &kernelWS{conn: conn, proto: conn.Subprotocol(), session: session,
		events: make(chan event, 1024), stop: stop, done: make(chan struct{})}
	go k.read(rctx)
	return k, nil
}

// protocol names the negotiated protocol for the results.
func (k *kernelWS) protocol() string {
	if k.proto == "" {
		return "legacy"
	}
	return k.proto
}

func (k *kernelWS) read(ctx context.Context) {
	defer close(k.done)
	for {
		typ, data, err := k.conn.Read(ctx)
		if err != nil {
			k.err = err
			return
		}
		var ch string
		var m *wire.Message
		switch {
		case k.proto == v1Protocol:
			ch, m, err = wsbridge.DecodeV1(data)
		case typ == websocket.MessageText:
			ch, m, err = wsbridge.DecodeLegacyText(data)
		default:
			ch, m, err = wsbridge.DecodeLegacyBinary(data)
		}
		var ev event
		if err == nil {
			ev, err = parseEvent(ch, m)
		}
		if err != nil {
			k.err = fmt.Errorf("frame from server: %w", err)
			return
		}
		select {
		case k.events <- ev:
		case <-ctx.Done():
			k.err = ctx.Err()
			return
		}
	}
}

// send sends a new client message on channel and returns its msg_id.
func (k *kernelWS) send(ctx context.Context, channel, msgType string, content any) (string, error) {
	m, err := wire.NewMessage(msgType, k.session, "bench", content, nil)
	if err != nil {
		return "", err
	}
	h, err := m.ParseHeader()
	if err != nil {
		return "", err
	}
	typ, data := websocket.MessageBinary, []byte(nil)
	if k.proto == v1Protocol {
		data = wsbridge.EncodeV1(channel, m)
	} else {
		var binary bool
		data, binary = wsbridge.EncodeLegacy(channel, m)
		if !binary {
			typ = websocket.MessageText
		}
	}
	if err := k.conn.Write(ctx, typ, data); err != nil {
		return "", fmt.Errorf("send %s: %w", msgType, err)
	}
	return h.MsgID, nil
}

// next returns the next event, failing when the connection ends or the
// deadline passes.
func (k *kernelWS) next(ctx context.Context) (event, error) {
	select {
	case ev := <-k.events:
		return ev, nil
	case <-k.done:
		// Events read before the reader stopped come first.
		select {
		case ev := <-k.events:
			return ev, nil
		default:
		}
		return event{}, fmt.Errorf("kernel WebSocket closed: %v", k.err)
	case <-ctx.Done():
		return event{}, ctx.Err()
	}
}

// close closes the connection and waits for the reader.
func (k *kernelWS) close() {
	_ = k.conn.Close(websocket.StatusNormalClosure, "")
	k.stop()
	<-k.done
}

// executeContent is an execute_request's content as JupyterLab sends it
// for a cell, with history off.
func executeContent(code string) map[string]any {
	return map[string]any{"code": code, "silent": false, "store_history": false,
		"user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": true}
}

// kernelConn is what the execute loops need of a kernel connection, so
// the same loop times the WebSocket and the direct ZeroMQ floor.
type kernelConn interface {
	send(ctx context.Context, channel, msgType string, content any) (string, error)
	next(ctx context.Context) (event, error)
}

// execute sends code and returns the time until its execute_reply, then
// waits (untimed) for the kernel's idle status for it, so the next request
// starts on an idle kernel. Every event in between is passed to seen.
func execute(ctx context.Context, k kernelConn, code string, timeout time.Duration, seen func(event)) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t0 := time.Now()
	id, err := k.send(ctx, "shell", "execute_request", executeContent(code))
	if err != nil {
		return 0, err
	}
	var took time.Duration
	replied, idle := false, false
	for !replied || !idle {
		ev, err := k.next(ctx)
		if err != nil {
			return 0, fmt.Errorf("waiting for execute_reply and idle (reply %v, idle %v): %w", replied, idle, err)
		}
		if ev.parent != id {
			continue
		}
		if seen != nil {
			seen(ev)
		}
		switch {
		case ev.msgType == "execute_reply":
			if !replied {
				took = time.Since(t0)
			}
			replied = true
		case ev.msgType == "status" && ev.state == "idle":
			idle = true
		}
	}
	return took, nil
}

// kernelInfo sends kernel_info_request and waits for its reply.
func kernelInfo(ctx context.Context, k kernelConn, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	id, err := k.send(ctx, "shell", "kernel_info_request", map[string]any{})
	if err != nil {
		return err
	}
	for {
		ev, err := k.next(ctx)
		if err != nil {
			return fmt.Errorf("waiting for kernel_info_reply: %w", err)
		}
		if ev.parent == id && ev.msgType == "kernel_info_reply" {
			return nil
		}
	}
}
