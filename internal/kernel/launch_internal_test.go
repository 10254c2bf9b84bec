package kernel

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"quire/internal/errkind"
)

func TestEndpoint(t *testing.T) {
	tcp := connInfo{ShellPort: 5001, IOPubPort: 5002, StdinPort: 5003, ControlPort: 5004, HBPort: 5005, IP: "127.0.0.1", Transport: "tcp"}
	ipc := connInfo{ShellPort: 1, IOPubPort: 2, StdinPort: 3, ControlPort: 4, HBPort: 12, IP: "/run/q/kernel-abc-ipc", Transport: "ipc"}
	for _, tc := range []struct {
		info    connInfo
		channel string
		want    string
	}{
		{tcp, "shell", "tcp://127.0.0.1:5001"},
		{tcp, "iopub", "tcp://127.0.0.1:5002"},
		{tcp, "stdin", "tcp://127.0.0.1:5003"},
		{tcp, "control", "tcp://127.0.0.1:5004"},
		{tcp, "hb", "tcp://127.0.0.1:5005"},
		{connInfo{ShellPort: 7, IP: "::1", Transport: "tcp"}, "shell", "tcp://[::1]:7"},
		{ipc, "shell", "ipc:///run/q/kernel-abc-ipc-1"},
		{ipc, "iopub", "ipc:///run/q/kernel-abc-ipc-2"},
		{ipc, "stdin", "ipc:///run/q/kernel-abc-ipc-3"},
		{ipc, "control", "ipc:///run/q/kernel-abc-ipc-4"},
		{ipc, "hb", "ipc:///run/q/kernel-abc-ipc-12"},
	} {
		if got := tc.info.endpoint(tc.channel); got != tc.want {
			t.Errorf("%s endpoint(%q) = %q, want %q", tc.info.Transport, tc.channel, got, tc.want)
		}
	}
	if got := tcp.socketFiles(); got != nil {
		t.Errorf("tcp socketFiles = %q, want none", got)
	}
	want := []string{"/run/q/kernel-abc-ipc-1", "/run/q/kernel-abc-ipc-2", "/run/q/kernel-abc-ipc-3", "/run/q/kernel-abc-ipc-4", "/run/q/kernel-abc-ipc-12"}
	if diff := cmp.Diff(want, ipc.socketFiles()); diff != "" {
		t.Errorf("ipc socketFiles (-want +got):\n%s", diff)
	}
}

func TestIPCPorts(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "kernel-x-ipc")
	if got, err := ipcPorts(prefix, 5); err != nil || !cmp.Equal(got, []int{1, 2, 3, 4, 5}) {
		t.Errorf("ipcPorts in an empty dir = %v, %v; want 1-5", got, err)
	}
	// Taken names are skipped, whatever they are (jupyter_client: exists).
	for _, n := range []string{"-1", "-3", "-4"} {
		if err := os.WriteFile(prefix+n, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/nonexistent", prefix+"-2"); err != nil {
		t.Fatal(err)
	}
	if got, err := ipcPorts(prefix, 5); err != nil || !cmp.Equal(got, []int{5, 6, 7, 8, 9}) {
		t.Errorf("ipcPorts with 1-4 taken = %v, %v; want 5-9", got, err)
	}

	// The limit is a Unix socket's: 107 bytes. Both libzmq and Go refuse
	// one more.
	pad := func(n int) string { // a prefix whose "-1" path is n bytes
		return filepath.Join(dir, strings.Repeat("p", n-len(dir)-1-len("-1")))
	}
	if _, err := ipcPorts(pad(107), 1); err != nil {
		t.Errorf("107-byte socket path refused: %v", err)
	}
	l, err := net.Listen("unix", pad(107)+"-1")
	if err != nil {
		t.Errorf("Go cannot listen on a 107-byte path: %v", err)
	} else {
		l.Close()
	}
	_, err = ipcPorts(pad(108), 1)
	if errkind.Of(err) != errkind.Invalid {
		t.Fatalf("108-byte socket path: err = %v, want kind Invalid", err)
	}
	msg, _ := errkind.Message(err)
	if !strings.Contains(msg, "shorter --runtime-dir") || strings.Contains(msg, dir) {
		t.Errorf("client message %q: want advice, no path", msg)
	}
	if !strings.Contains(err.Error(), pad(108)+"-1") {
		t.Errorf("error %q does not name the path", err)
	}
	if _, err := net.Listen("unix", pad(108)+"-1"); err == nil {
		t.Error("Go listens on a 108-byte path: the limit is wrong")
	}
}

func TestKernelPortRange(t *testing.T) {
	for _, tc := range []struct {
		ephemeral string
		lo, hi    int
	}{
		{"32768\t60999\n", minKernelPort, 32767},
		{"", minKernelPort, 32767}, // unreadable: Linux's default assumed
		{"garbage", minKernelPort, 32767},
		{"40000 50000", minKernelPort, 39999},
		{"1024 60000", 60001, 65535}, // nothing below: above it
		{"21000 60000", 60001, 65535},
		{"1024 65000", 0, 0}, // no room either side: port 0
	} {
		lo, hi := kernelPortRange(tc.ephemeral)
		if lo != tc.lo || hi != tc.hi {
			t.Errorf("kernelPortRange(%q) = %d, %d; want %d, %d", tc.ephemeral, lo, hi, tc.lo, tc.hi)
		}
	}
}

func TestPortSetTake(t *testing.T) {
	// A port in the range that is already listening is never handed out.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	bp := busy.Addr().(*net.TCPAddr).Port
	for _, tc := range []struct {
		name   string
		lo, hi int
	}{
		{"a small range holding a busy port", bp - 4, bp + 5},
		{"port 0 fallback", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := portSet{held: map[int]bool{}, lo: tc.lo, hi: tc.hi}
			p.once.Do(func() {}) // keep the range given
			var all []int
			for len(all) < 20 {
				got, err := p.take(1)
				if err != nil {
					break
				}
				all = append(all, got...)
			}
			seen := map[int]bool{}
			for _, port := range all {
				if seen[port] || port == bp {
					t.Errorf("port %d handed out twice, or while busy: %v", port, all)
				}
				seen[port] = true
				if tc.lo > 0 && (port < tc.lo || port > tc.hi) {
					t.Errorf("port %d outside %d–%d", port, tc.lo, tc.hi)
				}
			}
			if tc.lo > 0 {
				// Ten ports, one busy: at most nine, then "no free ports".
				if len(all) == 0 || len(all) > 9 {
					t.Errorf("took %d ports from a range of 10 with one busy", len(all))
				}
				p.release(all)
				if _, err := p.take(1); err != nil {
					t.Errorf("take after release: %v", err)
				}
			} else if len(all) != 20 {
				t.Errorf("port 0 fallback gave %d ports, want 20", len(all))
			}
		})
	}
}

func TestOutputTail(t *testing.T) {
	var tail outputTail
	if tail.String() != "" {
		t.Fatal("empty tail not empty")
	}
	for i := range tailLines + 5 {
		tail.add("line " + strconv.Itoa(i))
	}
	lines := strings.Split(tail.String(), "\n")
	if len(lines) != tailLines || lines[0] != "line 5" || lines[tailLines-1] != "line "+strconv.Itoa(tailLines+4) {
		t.Errorf("tail = %q", lines)
	}
}

func TestCheckRuntimeDir(t *testing.T) {
	base, err := os.MkdirTemp("", "q")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	if base, err = filepath.EvalSymlinks(base); err != nil {
		t.Fatal(err)
	}
	// <dir>/kernel-<36-byte id>-ipc-<n>: 50 bytes after the dir.
	longest := maxSocketPath - 50
	dirOf := func(n int) string { return base + "/" + strings.Repeat("d", n-len(base)-1) }
	for _, tc := range []struct {
		name, dir, transport string
		ok                   bool
	}{
		{"tcp ignores the length", dirOf(300), "tcp", true},
		{"ipc at the limit", dirOf(longest), "ipc", true},
		{"ipc one byte over", dirOf(longest + 1), "ipc", false},
		{"ipc far over", dirOf(200), "ipc", false},
		{"ipc, dir not created yet", base + "/not/yet", "ipc", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckRuntimeDir(tc.dir, tc.transport)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckRuntimeDir(%d-byte dir, %s) = %v, want ok %v", len(tc.dir), tc.transport, err, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "at most "+strconv.Itoa(longest)+" bytes") {
				t.Errorf("error %q does not say the longest dir allowed (%d bytes)", err, longest)
			}
		})
	}
}
