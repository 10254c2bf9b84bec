package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/coder/websocket"
)

// wsEchoEnv makes the harness's own binary the WebSocket echo floor: a
// process that answers every ["stdin", text] on a terminal WebSocket
// with ["stdout", text] at once (DEL with "\b \b", as a tty's echo), and
// /api/status with 200. No pty, no shell: what a keystroke's round trip
// costs in loopback TCP, WebSocket framing, JSON and two processes'
// wake-ups, the part of a server's echo no pty work can remove.
const wsEchoEnv = "BENCH_WSECHO_PORT"

// wsEchoSpec starts the floor as startServer starts a server.
func wsEchoSpec() (spec, error) {
	exe, err := os.Executable()
	if err != nil {
		return spec{}, err
	}
	return spec{name: "WebSocket echo floor", command: func(l launch) ([]string, []string) {
		return []string{exe}, []string{fmt.Sprintf("%s=%d", wsEchoEnv, l.port)}
	}}, nil
}

// serveWSEcho runs the floor on 127.0.0.1:port until it is killed.
func serveWSEcho(port string) int {
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wsecho:", err)
		return 1
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("{}"))
	})
	mux.HandleFunc("GET /terminals/websocket/{name}", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		for {
			_, data, err := c.Read(ctx)
			if err != nil {
				return
			}
			var msg []any
			if json.Unmarshal(data, &msg) != nil || len(msg) != 2 || msg[0] != "stdin" {
				continue // set_size
			}
			text, _ := msg[1].(string)
			out, _ := json.Marshal([]any{"stdout", strings.ReplaceAll(text, "\x7f", "\b \b")})
			if c.Write(ctx, websocket.MessageText, out) != nil {
				return
			}
		}
	})
	err = http.Serve(ln, mux)
	fmt.Fprintln(os.Stderr, "wsecho:", err)
	return 1
}

// wsEchoFloor starts the floor, times keystrokes on it as on a server's
// terminal, and stops it.
func wsEchoFloor(ctx context.Context, e *env, warm, timed int) ([]float64, error) {
	sp, err := wsEchoSpec()
	if err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp(e.tmp, "wsecho-")
	if err != nil {
		return nil, err
	}
	srv, err := startServer(ctx, e, sp, root)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	ws, err := dialTerminal(ctx, srv, "1")
	if err != nil {
		return nil, err
	}
	defer ws.close()
	lat, err := (&screen{c: ws}).echoLoop(ctx, warm, timed)
	if err != nil {
		return nil, err
	}
	return lat, srv.stop()
}
