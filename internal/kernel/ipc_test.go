package kernel_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"quire/internal/errkind"
	"quire/internal/kernel"
	"quire/internal/kernelspec"

	"quire/internal/kernelspec/kernelspectest"
)

// shortDir returns a new directory, symlinks resolved, whose path leaves
// room for ipc socket names (<dir>/kernel-<uuid>-ipc-<n> must fit 107
// bytes); it is removed when the test ends.
func shortDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "quire-ipc-")
	if err == nil {
		if d, err = filepath.EvalSymlinks(d); err == nil && len(d) > 40 {
			os.Remove(d)
			d, err = os.MkdirTemp("/tmp", "qipc-")
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// ipcConn is a kernel connection file as the ipc tests read it.
type ipcConn struct {
	Transport string `json:"transport"`
	IP        string `json:"ip"`
	Shell     int    `json:"shell_port"`
	IOPub     int    `json:"iopub_port"`
	Stdin     int    `json:"stdin_port"`
	Control   int    `json:"control_port"`
	HB        int    `json:"hb_port"`
	Key       string `json:"key"`
}

func (c ipcConn) files() []string {
	var out []string
	for _, p := range []int{c.Shell, c.IOPub, c.Stdin, c.Control, c.HB} {
		out = append(out, c.IP+"-"+strconv.Itoa(p))
	}
	return out
}

func readConn(t *testing.T, path string) ipcConn {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c ipcConn
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// endpoints records every endpoint the manager dials.
type endpoints struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (e *endpoints) dial(ctx context.Context, kind kernel.SocketKind, endpoint string, identity []byte) (kernel.Socket, error) {
	e.mu.Lock()
	if e.seen == nil {
		e.seen = map[string]bool{}
	}
	e.seen[endpoint] = true
	e.mu.Unlock()
	return dial(ctx, kind, endpoint, identity)
}

func (e *endpoints) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for ep := range e.seen {
		out = append(out, ep)
	}
	return out
}

// waitSockets waits until each file is a socket (the kernel bound it).
func waitSockets(t *testing.T, files []string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, f := range files {
		for {
			st, err := os.Lstat(f)
			if err == nil && st.Mode().Type() == os.ModeSocket {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s is no socket: %v, %v", f, st, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// leftovers lists the files of kernel id in dir: connection file and
// socket files.
func leftovers(t *testing.T, dir, id string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "kernel-"+id+"*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestIPCTransport runs a real ipykernel over Unix sockets through its
// whole life: start, execute, interrupt, restart (also over stale socket
// files of a killed process), shutdown.
func TestIPCTransport(t *testing.T) {
	needIPyKernel(t)
	runtime := filepath.Join(shortDir(t), "rt")
	var eps endpoints
	m := newManager(t, func(o *kernel.Options) {
		o.RuntimeDir, o.Transport, o.Dial = runtime, "ipc", eps.dial
	})
	k := start(t, m)
	if st, err := os.Stat(runtime); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("runtime dir: %v, %v; want mode 0700", st, err)
	}

	c := connect(t, k, "s1")
	// The connection file: Jupyter's ipc convention, ip under the runtime
	// dir. Read once the kernel answers: ipykernel rewrites it at start.
	cf := k.ConnectionFile()
	if st, err := os.Stat(cf); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("connection file: %v, %v; want mode 0600", st, err)
	}
	info := readConn(t, cf)
	wantIP := filepath.Join(runtime, "kernel-"+k.ID()+"-ipc")
	if info.Transport != "ipc" || info.IP != wantIP {
		t.Errorf("connection file transport %q, ip %q; want ipc, %q", info.Transport, info.IP, wantIP)
	}
	if got := []int{info.Shell, info.IOPub, info.Stdin, info.Control, info.HB}; !slices.Equal(got, []int{1, 2, 3, 4, 5}) {
		t.Errorf("ports %v, want 1-5 (jupyter_client's numbering)", got)
	}
	waitSockets(t, info.files())
	if r := collect(t, c, execute(t, c, "1+1"), 20*time.Second, nil); r.value != "2" || r.replyStatus != "ok" {
		t.Errorf("1+1: %+v", r)
	}
	if len(eps.list()) == 0 {
		t.Error("no endpoint dialled")
	}
	for _, ep := range eps.list() {
		if !strings.HasPrefix(ep, "ipc://"+wantIP+"-") {
			t.Errorf("dialled %s, want only ipc://%s-<n>", ep, wantIP)
		}
	}

	t.Run("interrupt", func(t *testing.T) {
		// stop_on_error false: else ipykernel aborts the next request too.
		id := send(t, c, "shell", "execute_request", map[string]any{
			"code": sleepCode(30), "silent": false,
			"store_history": true, "user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": false,
		}, nil)
		waitOutput(t, c, id, "sleeping\n")
		if err := m.Interrupt(t.Context(), k.ID()); err != nil {
			t.Fatal(err)
		}
		// The reply says what happened; IPython may fail to format the traceback
		// of an interrupt (it then prints a fallback on stdout and sends no error
		// output), which is the kernel's business, not the transport's.
		if r := collect(t, c, id, 20*time.Second, nil); r.replyEname != "KeyboardInterrupt" || r.replyStatus != "error" {
			t.Errorf("after interrupt: %+v", r)
		}
	})

	t.Run("restart", func(t *testing.T) {
		if r := collect(t, c, execute(t, c, "x = 1"), 20*time.Second, nil); r.replyStatus != "ok" {
			t.Fatalf("x = 1: %+v", r)
		}
		oldPID := k.PID()
		k2, err := m.Restart(ctxT(t, 60*time.Second), k.ID())
		if err != nil {
			t.Fatal(err)
		}
		waitGone(t, oldPID)
		if k2.ID() != k.ID() || k2.ConnectionFile() != cf || k2.PID() == oldPID {
			t.Errorf("after restart: id %s→%s, file %s→%s, pid %d→%d", k.ID(), k2.ID(), cf, k2.ConnectionFile(), oldPID, k2.PID())
		}
		if r := collect(t, c, execute(t, c, "1+1"), 20*time.Second, nil); r.value != "2" {
			t.Errorf("1+1 after restart: %+v", r)
		}
		// ipykernel rewrote the file at start (dropping kernel_name):
		// compare what reaches the sockets.
		if now := readConn(t, cf); now != info {
			t.Errorf("connection file after restart %+v, want %+v", now, info)
		}
		waitSockets(t, info.files())
		if r := collect(t, c, execute(t, c, "x"), 20*time.Second, nil); r.ename != "NameError" {
			t.Errorf("x after restart: %+v, want NameError", r)
		}
	})

	t.Run("restart over stale socket files", func(t *testing.T) {
		pid := k.PID()
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, c, "dead", 20*time.Second)
		// The dead process's socket files are gone...
		for _, f := range info.files() {
			if _, err := os.Lstat(f); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("socket file %s of a killed kernel remains: %v", f, err)
			}
		}
		// ...and stale ones left by someone else do not stop the new
		// process from binding: libzmq replaces them.
		for _, f := range info.files() {
			l, err := net.ListenUnix("unix", &net.UnixAddr{Name: f, Net: "unix"})
			if err != nil {
				t.Fatal(err)
			}
			l.SetUnlinkOnClose(false)
			l.Close()
		}
		if _, err := m.Restart(ctxT(t, 60*time.Second), k.ID()); err != nil {
			t.Fatal(err)
		}
		if r := collect(t, c, execute(t, c, "print(6*7)"), 30*time.Second, nil); r.stdout != "42\n" {
			t.Errorf("after restart over stale files: %+v", r)
		}
	})

	t.Run("shutdown", func(t *testing.T) {
		pid := k.PID()
		if err := m.Shutdown(ctxT(t, 20*time.Second), k.ID()); err != nil {
			t.Fatal(err)
		}
		waitGone(t, pid)
		if got := leftovers(t, runtime, k.ID()); len(got) != 0 {
			t.Errorf("left behind: %q", got)
		}
		if g, _ := filepath.Glob(info.IP + "-*"); len(g) != 0 {
			t.Errorf("socket files left behind: %q", g)
		}
		select {
		case <-c.Done():
		default:
			t.Error("Conn still open after Shutdown")
		}
	})
}

// TestIPCPathLimit starts a fake kernel with runtime dirs around the
// longest whose socket paths fit a Unix socket; one byte more is refused
// before anything is written or launched.
func TestIPCPathLimit(t *testing.T) {
	specDir := t.TempDir()
	kernelspectest.Write(t, specDir, "fake", `{"argv": ["/bin/sh", "-c", "exec sleep 60", "{connection_file}"], "display_name": "Fake", "language": "shell"}`)
	base := shortDir(t)
	// <runtime>/kernel-<36-byte id>-ipc-<n>: 50 bytes after the runtime dir.
	const maxRuntime = 107 - 50
	for _, tc := range []struct {
		name string
		len  int
		ok   bool
	}{
		{"longest", maxRuntime, true},
		{"one byte more", maxRuntime + 1, false},
		{"much longer", 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runtime := filepath.Join(base, tc.name)
			runtime += strings.Repeat("x", tc.len-len(runtime))
			m := kernel.NewManager(kernelspec.Load([]string{specDir}, nil), kernel.Options{
				RuntimeDir: runtime, Transport: "ipc", Dial: dial, Log: testLog(t), ShutdownWait: 200 * time.Millisecond,
			})
			defer m.Close(context.Background())
			k, err := m.Start(t.Context(), "fake", kernel.StartOptions{Dir: t.TempDir()})
			if tc.ok {
				if err != nil {
					t.Fatalf("Start with a %d-byte runtime dir: %v", len(runtime), err)
				}
				cf := k.ConnectionFile()
				if st, err := os.Stat(cf); err != nil || st.Mode().Perm() != 0o600 {
					t.Errorf("connection file: %v, %v; want mode 0600", st, err)
				}
				info := readConn(t, cf)
				if want := strings.TrimSuffix(cf, ".json") + "-ipc"; info.Transport != "ipc" || info.IP != want {
					t.Errorf("connection file transport %q, ip %q; want ipc, %q", info.Transport, info.IP, want)
				}
				for _, f := range info.files() {
					if len(f) > 107 {
						t.Errorf("socket path %s is %d bytes", f, len(f))
					}
				}
				if err := m.Shutdown(t.Context(), k.ID()); err != nil {
					t.Error(err)
				}
				return
			}
			if errkind.Of(err) != errkind.Invalid {
				t.Fatalf("Start with a %d-byte runtime dir = %v, want kind Invalid", len(runtime), err)
			}
			if msg, _ := errkind.Message(err); !strings.Contains(msg, "shorter --runtime-dir") {
				t.Errorf("client message %q does not suggest a shorter --runtime-dir", msg)
			}
			if !strings.Contains(err.Error(), runtime+"/kernel-") {
				t.Errorf("error %q does not name the socket path", err)
			}
			if got, _ := os.ReadDir(runtime); len(got) != 0 {
				t.Errorf("runtime dir holds %d files after a refused start", len(got))
			}
			if n, _, _ := m.Counts(); n != 0 {
				t.Errorf("%d kernels after a refused start", n)
			}
		})
	}
}
