package kernel

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"quire/internal/errkind"
	"quire/internal/kernelspec"
	"quire/internal/safefile"
)

// connInfo is a kernel connection file.
type connInfo struct {
	ShellPort       int    `json:"shell_port"`
	IOPubPort       int    `json:"iopub_port"`
	StdinPort       int    `json:"stdin_port"`
	ControlPort     int    `json:"control_port"`
	HBPort          int    `json:"hb_port"`
	IP              string `json:"ip"`
	Key             string `json:"key"`
	Transport       string `json:"transport"`
	SignatureScheme string `json:"signature_scheme"`
	KernelName      string `json:"kernel_name"`
	JupyterSession  string `json:"jupyter_session,omitempty"`
}

func (c *connInfo) ports() []int {
	return []int{c.ShellPort, c.IOPubPort, c.StdinPort, c.ControlPort, c.HBPort}
}

func (c *connInfo) endpoint(channel string) string {
	var p int
	switch channel {
	case "shell":
		p = c.ShellPort
	case "iopub":
		p = c.IOPubPort
	case "stdin":
		p = c.StdinPort
	case "control":
		p = c.ControlPort
	case "hb":
		p = c.HBPort
	}
	if c.Transport == "ipc" {
		return "ipc://" + c.IP + "-" + strconv.Itoa(p)
	}
	return "tcp://" + net.JoinHostPort(c.IP, strconv.Itoa(p))
}

// socketFiles returns the Unix socket file of each channel of an ipc
// kernel (Jupyter's convention: <ip>-<port>, ip being a path prefix), or
// nil for tcp.
func (c *connInfo) socketFiles() []string {
	if c.Transport != "ipc" {
		return nil
	}
	var out []string
	for _, p := range c.ports() {
		out = append(out, c.IP+"-"+strconv.Itoa(p))
	}
	return out
}

// maxSocketPath is the longest path a Unix socket can be bound or dialled
// at: sun_path less its terminating NUL (107 bytes on Linux, 103 on the
// BSDs and macOS). libzmq and Go both refuse longer ones.
const maxSocketPath = len(syscall.RawSockaddrUnix{}.Path) - 1

// CheckRuntimeDir reports, before any kernel starts, whether kernels can
// use transport with their files in dir: for ipc, whether a kernel's
// socket paths (<dir>/kernel-<36-byte id>-ipc-<n>) fit a Unix socket. The
// server checks this at start so that a bad --runtime-dir fails loudly
// then, not at the first kernel.
func CheckRuntimeDir(dir, transport string) error {
	if transport != "ipc" {
		return nil
	}
	abs, err := resolveDir(dir)
	if err != nil {
		return fmt.Errorf("runtime dir: %w", err)
	}
	longest := ipcPrefix(connFilePath(abs, strings.Repeat("0", 36))) + "-5"
	if len(longest) > maxSocketPath {
		return fmt.Errorf("--kernel-transport ipc: kernel socket paths in runtime dir %s would be %d bytes, over the %d a Unix socket allows; "+
			"use a --runtime-dir of at most %d bytes (after resolving symlinks)",
			abs, len(longest), maxSocketPath, len(abs)-(len(longest)-maxSocketPath))
	}
	return nil
}

// resolveDir returns dir absolute, with symlinks resolved as far as it
// exists: the form kernels' file names are built on.
func resolveDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	return abs, nil
}

// connFilePath is where kernel id's connection file goes in the resolved
// runtime dir.
func connFilePath(dir, id string) string {
	return filepath.Join(dir, "kernel-"+id+".json")
}

// ipcPrefix is Jupyter's default ip of an ipc kernel: its connection
// file's name without .json, plus -ipc. The sockets (<prefix>-<n>) sit
// beside it in the runtime dir, which only the user can enter.
func ipcPrefix(connFile string) string {
	return strings.TrimSuffix(connFile, ".json") + "-ipc"
}

// ipcPorts picks n channel numbers for an ipc kernel whose ip is prefix:
// the smallest integers from 1 up whose <prefix>-<n> file does not exist,
// as jupyter_client does. Socket paths longer than maxSocketPath are
// errkind.Invalid (not Unavailable, which httpapi answers on
// /api/sessions as "kernelspec not installed"), naming the path in the
// cause and the remedy in the message.
func ipcPorts(prefix string, n int) ([]int, error) {
	var out []int
	for p := 1; len(out) < n; p++ {
		path := prefix + "-" + strconv.Itoa(p)
		if len(path) > maxSocketPath {
			return nil, errkind.New(errkind.Invalid,
				"Kernel socket paths would be too long for Unix sockets (--kernel-transport ipc): start the server with a shorter --runtime-dir",
				fmt.Errorf("socket path %s is %d bytes, over the %d a Unix socket allows", path, len(path), maxSocketPath))
		}
		switch _, err := os.Lstat(path); {
		case errors.Is(err, fs.ErrNotExist):
			out = append(out, p)
		case err != nil:
			return nil, fmt.Errorf("ipc socket %s: %w", path, err)
		}
	}
	return out, nil
}

// portSet hands out free TCP ports on 127.0.0.1, never the same port twice
// while it is held.
//
// A kernel binds its ports a second or two after they are chosen (Python
// starting up). Ports from the ephemeral range (what binding port 0
// gives) can be taken in that window as the local port of any outgoing
// connection on the machine, including Quire's own ZeroMQ dials to other
// kernels; the kernel then fails to bind and exits ("Address already in
// use"). With dozens of kernels starting this happened in about one
// benchmark run in five. So ports come from below the ephemeral range
// (Linux's ip_local_port_range), which outgoing connections never use,
// each checked free by binding it; only when that range is too small is
// port 0 used.
type portSet struct {
	// mu guards held. Rule: a leaf lock; take holds it while it binds
	// candidate ports (brief local listens) so two kernels never draw the
	// same one; nothing else is taken under it.
	mu   sync.Mutex
	held map[int]bool
	// lo..hi is where ports are drawn from; lo == 0 means port 0.
	lo, hi int
	once   sync.Once
}

// Kernel ports stay at or above minKernelPort, clear of the well-known
// ports many services use (5432, 8080, 8888, …).
const minKernelPort = 20000

// kernelPortRange picks the range below (or else above) the ephemeral
// range given as /proc/sys/net/ipv4/ip_local_port_range's contents; 0, 0
// if neither side has 1000 ports.
func kernelPortRange(ephemeral string) (lo, hi int) {
	elo, ehi := 32768, 60999 // Linux's default
	var a, b int
	if _, err := fmt.Sscan(ephemeral, &a, &b); err == nil && a > 0 && b >= a {
		elo, ehi = a, b
	}
	switch {
	case elo-1-minKernelPort >= 1000:
		return minKernelPort, elo - 1
	case 65535-ehi >= 1000:
		return ehi + 1, 65535
	}
	return 0, 0
}

func (p *portSet) take(n int) ([]int, error) {
	p.once.Do(func() {
		if p.lo == 0 && p.hi == 0 {
			b, _ := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
			p.lo, p.hi = kernelPortRange(string(b))
		}
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []int
	for tries := 0; len(out) < n; tries++ {
		if tries > 100*n {
			p.releaseLocked(out)
			return nil, errors.New("no free ports on 127.0.0.1")
		}
		want := 0
		if p.lo > 0 {
			want = p.lo + mrand.IntN(p.hi-p.lo+1)
			if p.held[want] {
				continue
			}
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(want)))
		if err != nil {
			if want != 0 {
				continue // in use: draw again
			}
			p.releaseLocked(out)
			return nil, fmt.Errorf("find free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if p.held[port] {
			continue
		}
		p.held[port] = true
		out = append(out, port)
	}
	return out, nil
}

func (p *portSet) release(ports []int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.releaseLocked(ports)
}

func (p *portSet) releaseLocked(ports []int) {
	for _, port := range ports {
		delete(p.held, port)
	}
}

func randomKey() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// writeConnFile writes info to path with mode 0600 through safefile (in a
// checked directory, never through a symlink), unlinking any existing file
// first so a pre-planted file cannot keep other modes.
func writeConnFile(path string, info *connInfo) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove old connection file: %w", err)
	}
	f, err := safefile.Create(path, 0o600)
	if err != nil {
		return fmt.Errorf("create connection file: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("write connection file: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("write connection file: %w", err)
	}
	return nil
}

var placeholder = regexp.MustCompile(`\{([A-Za-z0-9_]+)\}`)

// expandArgv substitutes {name} placeholders from vars (unknown ones stay
// as they are) and expands a leading "~/" with home.
func expandArgv(argv []string, vars map[string]string, home string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		a = placeholder.ReplaceAllStringFunc(a, func(m string) string {
			if v, ok := vars[m[1:len(m)-1]]; ok {
				return v
			}
			return m
		})
		if home != "" && (a == "~" || strings.HasPrefix(a, "~/")) {
			a = home + a[1:]
		}
		out[i] = a
	}
	return out
}

var templateVar = regexp.MustCompile(`\$(?:(\$)|([_A-Za-z][_A-Za-z0-9]*)|\{([_A-Za-z][_A-Za-z0-9]*)\})`)

// substitute replaces $VAR and ${VAR} with values from lookup, leaving
// unknown names verbatim; "$$" becomes "$" (Python's safe_substitute).
func substitute(s string, lookup func(string) (string, bool)) string {
	return templateVar.ReplaceAllStringFunc(s, func(m string) string {
		g := templateVar.FindStringSubmatch(m)
		switch {
		case g[1] != "":
			return "$"
		case g[2] != "":
			if v, ok := lookup(g[2]); ok {
				return v
			}
		case g[3] != "":
			if v, ok := lookup(g[3]); ok {
				return v
			}
		}
		return m
	})
}

// kernelEnv builds the kernel's environment: base, then extra (e.g.
// JPY_SESSION_NAME), then the spec's env with $VAR substituted from the
// first two, then JPY_PARENT_PID.
func kernelEnv(base []string, extra map[string]string, sp *kernelspec.Spec, pid int) []string {
	m := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := m[k]; !ok {
			order = append(order, k)
		}
		m[k] = v
	}
	for _, kv := range base {
		k, v, ok := strings.Cut(kv, "=")
		if ok && k != "" {
			set(k, v)
		}
	}
	for k, v := range extra {
		set(k, v)
	}
	lookup := func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	sub := map[string]string{}
	for k, v := range sp.Env {
		sub[k] = substitute(v, lookup)
	}
	for k, v := range sub {
		set(k, v)
	}
	if strings.EqualFold(sp.Language, "python") {
		delete(m, "PYTHONEXECUTABLE")
	}
	set("JPY_PARENT_PID", strconv.Itoa(pid))
	out := make([]string, 0, len(m))
	for _, k := range order {
		if v, ok := m[k]; ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// launch starts the kernel process in its own session (process group), with
// stdin from /dev/null and stdout+stderr on a pipe whose read end is
// returned for pumpLog.
func launch(argv []string, env []string, cwd string) (*exec.Cmd, *os.File, error) {
	if len(argv) == 0 {
		return nil, nil, errors.New("empty argv")
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Dir = cwd
	cmd.Stdin = nil // /dev/null
	cmd.Stdout = w
	cmd.Stderr = w
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, nil, fmt.Errorf("start %s: %w", filepath.Base(argv[0]), err)
	}
	w.Close()
	return cmd, r, nil
}

const maxLogLine = 4096

// pumpLog logs r line by line at debug level until EOF or r is closed.
func pumpLog(r io.Reader, log *slog.Logger, tail *outputTail) {
	br := bufio.NewReaderSize(r, maxLogLine)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			text := strings.TrimRight(string(line), "\r\n")
			log.Debug("kernel output", "line", text)
			tail.add(text)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			// Cut the over-long line: skip to its end.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
		}
		if err != nil {
			return
		}
	}
}

// outputTail keeps the last lines a kernel process wrote to its stdout and
// stderr, logged with the warning when it dies unexpectedly: a kernel
// that fails to start says why there ("Address already in use", a
// missing module), and its output is otherwise only logged at debug.
type outputTail struct {
	// mu guards lines and n. Rule: a leaf lock, held only to copy lines
	// in or out.
	mu    sync.Mutex
	lines [tailLines]string
	n     int // lines written in all
}

const tailLines = 20

func (t *outputTail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines[t.n%tailLines] = line
	t.n++
}

// String returns the kept lines, oldest first, one per line.
func (t *outputTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var b strings.Builder
	for i := max(t.n-tailLines, 0); i < t.n; i++ {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(t.lines[i%tailLines])
	}
	return b.String()
}
