package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	readyTimeout = 90 * time.Second // process start → /api/status 200
	readyPoll    = time.Millisecond // the start figure is only as fine as this
	stopGrace    = 10 * time.Second // SIGTERM → SIGKILL
)

// launch is what one start of a server gets: its port, token, the root
// directory it serves and a private home for its state.
type launch struct {
	port  int
	token string
	root  string
	home  string
}

// spec says how to start one server implementation.
type spec struct {
	name string
	// command returns the argv and the environment additions for a launch.
	command func(l launch) (argv, env []string)
	// unlimited are the arguments that lift the server's iopub rate
	// limits; nil when it has none.
	unlimited []string
	// password returns the arguments that add a password (a Jupyter
	// hash) to the token.
	password func(hash string) []string
	// terminal returns the arguments that enable terminals running shell
	// (an absolute path, started with no arguments).
	terminal func(shell string) []string
	// base is the server's --base-url without its final slash ("" for /).
	base string
	// tls: the server speaks HTTPS with its own self-signed certificate,
	// which the harness's client accepts unverified.
	tls bool
}

// jupyterUnlimited lifts jupyter_server 1.23's iopub limits (defaults:
// 1000 msg/s, 1 MB/s over a 3 s window; messages over them are dropped).
var jupyterUnlimited = []string{"--ServerApp.iopub_data_rate_limit=1e12", "--ServerApp.iopub_msg_rate_limit=1e9"}

// withArgs returns sp with args appended to its command line.
func withArgs(sp spec, args ...string) spec {
	if len(args) == 0 {
		return sp
	}
	cmd := sp.command
	sp.command = func(l launch) ([]string, []string) {
		argv, env := cmd(l)
		return append(argv, args...), env
	}
	return sp
}

// quireSpec starts bin/quire with a private HOME, runtime and config dir.
// With profileDir set, every start writes a CPU and a heap profile there
// (quire-<n>.cpu.pprof, quire-<n>.heap.pprof) when it is stopped.
func quireSpec(bin, profileDir string) spec {
	starts := 0
	return spec{name: "Quire", command: func(l launch) ([]string, []string) {
		argv := []string{bin,
			"--port", strconv.Itoa(l.port),
			"--no-browser",
			"--root-dir", l.root,
			"--token", l.token,
			"--data-dir", filepath.Join(l.home, "data"),
			"--delete-to-trash=false",
		}
		env := privateDirs(l.home)
		if profileDir != "" {
			starts++
			p := filepath.Join(profileDir, "quire-"+strconv.Itoa(starts))
			env = append(env, "QUIRE_CPUPROFILE="+p+".cpu.pprof", "QUIRE_MEMPROFILE="+p+".heap.pprof")
		}
		return argv, env
	}, password: func(hash string) []string { return []string{"--password-hash=" + hash} },
		terminal: func(shell string) []string { return []string{"--terminal-shell=" + shell} }}
}

// auditSpec is sp (Quire) with the audit log on, in the launch's home,
// recording a hash of every execute_request.
func auditSpec(sp spec) spec {
	cmd := sp.command
	sp.name = "Quire+audit"
	sp.command = func(l launch) ([]string, []string) {
		argv, env := cmd(l)
		return append(argv, "--audit-log", filepath.Join(l.home, "audit.log"), "--audit-execute=hash"), env
	}
	return sp
}

// jupyterSpec starts Debian's jupyter_server with the same settings: no
// browser, no trash, no port retries, and no config but its own empty dir.
func jupyterSpec(python string) spec {
	return spec{name: "jupyter_server", command: func(l launch) ([]string, []string) {
		argv := []string{python, "-m", "jupyter_server",
			"--no-browser",
			"--allow-root",
			"--ip=127.0.0.1",
			"--port=" + strconv.Itoa(l.port),
			"--ServerApp.token=" + l.token,
			"--ServerApp.root_dir=" + l.root,
			"--ServerApp.port_retries=0",
			"--FileContentsManager.delete_to_trash=False",
		}
		return argv, append(privateDirs(l.home), "JUPYTER_NO_CONFIG=1")
	}, unlimited: jupyterUnlimited,
		password: func(hash string) []string { return []string{"--ServerApp.password=" + hash} },
		// Terminals are on when terminado imports; said anyway. The dict is
		// given whole (traitlets 5 warns that this form is deprecated): its
		// key=value form would pass the list as a string. With a
		// shell_command set, no "-l" is added.
		terminal: func(shell string) []string {
			return []string{"--ServerApp.terminals_enabled=True",
				`--ServerApp.terminado_settings={"shell_command":["` + shell + `"]}`}
		}}
}

// privateDirs points every per-user directory either server looks at into
// home, so runs never see (or leave) state elsewhere.
func privateDirs(home string) []string {
	return []string{
		"HOME=" + home,
		"JUPYTER_RUNTIME_DIR=" + filepath.Join(home, "rt"),
		"JUPYTER_DATA_DIR=" + filepath.Join(home, "data"),
		"JUPYTER_CONFIG_DIR=" + filepath.Join(home, "jupyter-cfg"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, "cfg"),
		"XDG_DATA_HOME=" + filepath.Join(home, "share"),
		"XDG_RUNTIME_DIR=" + filepath.Join(home, "xdg-rt"),
		"XDG_CACHE_HOME=" + filepath.Join(home, "cache"),
	}
}

// baseEnv is the harness's environment without anything that would point
// a server at other configuration or another Python's packages.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "HOME", strings.HasPrefix(k, "JUPYTER"), strings.HasPrefix(k, "QUIRE_"),
			strings.HasPrefix(k, "XDG_"), strings.HasPrefix(k, "PYTHON"), k == "VIRTUAL_ENV":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// server is one running server process.
type server struct {
	name    string
	url     string // http://127.0.0.1:port
	token   string
	pid     int
	ready   time.Duration // process start → first 200 from /api/status
	logPath string
	home    string // private HOME; its rt/ holds the kernels' connection files
	client  *client

	cmd      *exec.Cmd
	exited   chan struct{} // closed once the process has been waited for
	waitErr  error         // valid after exited is closed
	stopOnce sync.Once
	stopErr  error
}

// startServer starts sp serving root and waits until /api/status answers
// 200. The server is on the cleanup list before this returns, also on error.
func startServer(ctx context.Context, e *env, sp spec, root string) (*server, error) {
	home, err := os.MkdirTemp(e.tmp, strings.ReplaceAll(sp.name, "_", "-")+"-")
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"rt", "data", "jupyter-cfg", "cfg", "share", "xdg-rt", "cache"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			return nil, err
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	l := launch{port: port, token: randomToken(), root: root, home: home}
	argv, extra := sp.command(l)

	logPath := filepath.Join(home, "server.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(baseEnv(), extra...)
	cmd.Dir = home
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group, so a stuck server and its children can be killed
	// together; and die with the harness even if it is SIGKILLed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}

	scheme := "http"
	if sp.tls {
		scheme = "https"
	}
	s := &server{
		name:    sp.name,
		url:     scheme + "://127.0.0.1:" + strconv.Itoa(port) + sp.base,
		token:   l.token,
		logPath: logPath,
		home:    home,
		cmd:     cmd,
		exited:  make(chan struct{}),
	}
	s.client = newClient(s.url, s.token)
	if sp.tls {
		s.client.tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} // its own self-signed certificate
	}

	// Runs after stop (cleanup is last-in, first-out): kernels the server
	// left behind are killed by their connection-file path.
	e.cleanup.add(func() { killKernels(home, e.log) })
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", sp.name, err)
	}
	s.pid = cmd.Process.Pid
	go func() {
		s.waitErr = cmd.Wait()
		logf.Close()
		close(s.exited)
	}()
	e.cleanup.add(func() { _ = s.stop() })

	if err := s.waitReady(ctx, t0); err != nil {
		_ = s.stop()
		return nil, err
	}
	return s, nil
}

// waitReady polls /api/status until it answers 200 and records how long
// that took since t0.
func (s *server) waitReady(ctx context.Context, t0 time.Time) error {
	deadline := t0.Add(readyTimeout)
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("%s exited before it was ready (%v); log:\n%s", s.name, s.waitErr, s.logTail(20))
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		status, _, err := s.client.get(ctx, "/api/status", time.Second)
		if err == nil && status == http.StatusOK {
			s.ready = time.Since(t0)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v (last: status %d, %v); log:\n%s",
				s.name, readyTimeout, status, err, s.logTail(20))
		}
		time.Sleep(readyPoll)
	}
}

// stop sends SIGTERM, then SIGKILL to the whole process group if the
// server has not exited within stopGrace, and waits for it. Idempotent.
func (s *server) stop() error {
	s.stopOnce.Do(func() {
		s.client.close()
		select {
		case <-s.exited:
			return
		default:
		}
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(stopGrace):
			_ = syscall.Kill(-s.pid, syscall.SIGKILL)
			<-s.exited
			s.stopErr = fmt.Errorf("%s ignored SIGTERM for %v and was killed", s.name, stopGrace)
		}
	})
	return s.stopErr
}

// procStatus returns a field of /proc/<pid>/status in bytes (VmRSS, VmHWM).
func (s *server) procStatus(field string) (float64, error) {
	select {
	case <-s.exited:
		return 0, fmt.Errorf("%s has exited (%v)", s.name, s.waitErr)
	default:
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != field {
			continue
		}
		fs := strings.Fields(v) // "12345 kB"
		if len(fs) != 2 || fs[1] != "kB" {
			return 0, fmt.Errorf("unexpected %s line %q", field, sc.Text())
		}
		kb, err := strconv.ParseFloat(fs[0], 64)
		if err != nil {
			return 0, err
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, s.pid)
}

// smapsRollup returns the fields of /proc/<pid>/smaps_rollup in bytes
// (Rss, Anonymous, Pss_File, …): summed over every mapping by walking the
// page tables, so exact, where /proc/<pid>/status's RssAnon and RssFile
// may lag by a few pages per thread.
func (s *server) smapsRollup() (map[string]float64, error) {
	select {
	case <-s.exited:
		return nil, fmt.Errorf("%s has exited (%v)", s.name, s.waitErr)
	default:
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", s.pid))
	if err != nil {
		return nil, err
	}
	return parseSmapsRollup(data)
}

// parseSmapsRollup reads smaps_rollup's "Name:   123 kB" lines, after
// the first (the address range).
func parseSmapsRollup(data []byte) (map[string]float64, error) {
	out := map[string]float64{}
	for line := range strings.Lines(string(data)) {
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.ContainsAny(k, " -") {
			continue // the first line: addresses, "[rollup]"
		}
		fs := strings.Fields(v)
		if len(fs) != 2 || fs[1] != "kB" {
			return nil, fmt.Errorf("unexpected smaps_rollup line %q", strings.TrimSpace(line))
		}
		kb, err := strconv.ParseFloat(fs[0], 64)
		if err != nil {
			return nil, fmt.Errorf("smaps_rollup line %q: %w", strings.TrimSpace(line), err)
		}
		out[k] = kb * 1024
	}
	if _, ok := out["Rss"]; !ok {
		return nil, errors.New("no Rss in smaps_rollup")
	}
	if _, ok := out["Anonymous"]; !ok {
		return nil, errors.New("no Anonymous in smaps_rollup")
	}
	return out, nil
}

// cpuSeconds returns the user plus system CPU time the server process
// (not its kernels) has used so far, from /proc/<pid>/stat.
func (s *server) cpuSeconds() (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces; the fields after it do not.
	i := bytes.LastIndexByte(data, ')')
	var fs []string
	if i >= 0 {
		fs = strings.Fields(string(data[i+1:]))
	}
	if len(fs) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat %.100q", s.pid, data)
	}
	var ticks float64
	for _, f := range fs[11:13] { // utime, stime: fields 14 and 15
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return 0, err
		}
		ticks += v
	}
	return ticks / clockTicks, nil
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// Linux architecture Go supports (sysconf needs cgo).
const clockTicks = 100

// rssMiB is the resident set size now; hwmMiB its peak so far.
func (s *server) rssMiB() (float64, error) { return s.mib("VmRSS") }
func (s *server) hwmMiB() (float64, error) { return s.mib("VmHWM") }

func (s *server) mib(field string) (float64, error) {
	b, err := s.procStatus(field)
	return b / (1 << 20), err
}

// logTail returns the last n lines of the server's log.
func (s *server) logTail(n int) string {
	data, err := os.ReadFile(s.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "    " + string(bytes.Join(lines, []byte("\n    ")))
}

// freePort asks the kernel for a free loopback port. Another process could
// take it before the server binds it; the server would then fail to start.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("listener has no TCP address")
	}
	return addr.Port, nil
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
