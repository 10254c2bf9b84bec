package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestSeqBytes(t *testing.T) {
	for _, n := range []int{1, 9, 10, 99, 100, 12345} {
		var b strings.Builder
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "%d\r\n", i)
		}
		if got := seqBytes(n); got != b.Len() {
			t.Errorf("seqBytes(%d) = %d, want %d", n, got, b.Len())
		}
	}
}

// fakeTerm replays fixed output, whatever is written.
type fakeTerm struct{ termReader }

func (f *fakeTerm) write(context.Context, string) error { return nil }
func (f *fakeTerm) close()                              {}

func TestSeqRunCountsLostLines(t *testing.T) {
	f := &fakeTerm{newTermReader()}
	// Split mid-line and mid-"\r\n", as frames may be; 3 is lost, 6 repeated.
	for _, chunk := range []string{"seq 1 6\r", "\n1\r\n2", "\r\n4\r\n5\r\n6\r\n6\r", "\n@P@ "} {
		f.ch <- chunk
	}
	s := &screen{c: f}
	r, err := s.seqRun(context.Background(), 6)
	if err != nil {
		t.Fatal(err)
	}
	if r.inOrder != 4 || r.problems != 2 {
		t.Errorf("in order %d, others %d; want 4 and 2", r.inOrder, r.problems)
	}
}

// TestPtyFloor runs the scenario's loops on the floor's own pty: the
// shell starts, echoes and erases keystrokes, and seq's lines all arrive.
// It checks the harness, not a speed.
func TestPtyFloor(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pt, err := startPtyTerm(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer pt.close()
	s := &screen{c: pt}
	if err := s.ready(ctx); err != nil {
		t.Fatal(err)
	}
	lat, err := s.echoLoop(ctx, 1, 30)
	if err != nil {
		t.Fatal(err)
	}
	if len(lat) != 30 {
		t.Errorf("%d echo timings, want 30", len(lat))
	}
	r, err := s.seqRun(ctx, 5000)
	if err != nil {
		t.Fatal(err)
	}
	if r.inOrder != 5000 || r.problems != 0 {
		t.Errorf("seq: %d lines in order, %d others; want 5000 and 0", r.inOrder, r.problems)
	}
	if want := seqBytes(5000); r.bytes < want {
		t.Errorf("seq: %d bytes, want at least %d", r.bytes, want)
	}
}

// TestTerminalWebSocket checks the client's side of terminado's protocol
// against a scripted server: set_size on open, stdin as typed, stdout in
// both servers' spellings, the disconnect code in the error.
func TestTerminalWebSocket(t *testing.T) {
	got := make(chan string, 4)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/terminals/websocket/7" || r.Header.Get("Authorization") != "token tok" {
			http.Error(w, "wrong request", http.StatusForbidden)
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		for range 2 { // set_size, then the test's stdin
			_, data, err := c.Read(ctx)
			if err != nil {
				return
			}
			got <- string(data)
		}
		for _, f := range []string{`["setup", {}]`, `["stdout", "a\r\n\u00e9"]`, `["stdout","b"]`, `["disconnect", 1]`} {
			if c.Write(ctx, websocket.MessageText, []byte(f)) != nil {
				return
			}
		}
		c.Close(websocket.StatusNormalClosure, "")
	}))
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, err := dialTerminal(ctx, &server{url: ts.URL, token: "tok"}, "7")
	if err != nil {
		t.Fatal(err)
	}
	defer ws.close()
	if err := ws.write(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`["set_size",24,80]`, `["stdin","x"]`} {
		if g := <-got; g != want {
			t.Errorf("server read %s, want %s", g, want)
		}
	}
	var out []string
	for text := range ws.out() {
		out = append(out, text)
	}
	if want := []string{"a\r\né", "b"}; !slices.Equal(out, want) {
		t.Errorf("stdout %q, want %q", out, want)
	}
	if err := ws.err(); err == nil || !strings.Contains(err.Error(), `["disconnect", 1]`) {
		t.Errorf("err = %v, want the disconnect code", err)
	}
}
