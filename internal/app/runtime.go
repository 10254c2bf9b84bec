package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"quire/internal/safefile"
)

// serverInfo is the runtime file quire-<pid>.json, in the shape of
// Jupyter's jpserver-<pid>.json so that tools reading those can read ours.
type serverInfo struct {
	BaseURL  string `json:"base_url"`
	Hostname string `json:"hostname"`
	Password bool   `json:"password"`
	PID      int    `json:"pid"`
	Port     int    `json:"port"`
	RootDir  string `json:"root_dir"`
	Secure   bool   `json:"secure"`
	Sock     string `json:"sock"`
	Token    string `json:"token"`
	URL      string `json:"url"`
	Version  string `json:"version"`
}

func runtimeFileName(dir string, pid int) string {
	return filepath.Join(dir, "quire-"+strconv.Itoa(pid)+".json")
}

// writeRuntimeFile writes info (which holds the token) to
// <dir>/quire-<pid>.json with mode 0600 through safefile, creating dir with
// mode 0700 and refusing one other users may write.
func writeRuntimeFile(dir string, info serverInfo) (string, error) {
	if err := safefile.MkdirAll(dir); err != nil {
		return "", fmt.Errorf("runtime dir: %w", err)
	}
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return "", err
	}
	path := runtimeFileName(dir, info.PID)
	if err := safefile.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		return "", fmt.Errorf("runtime file: %w", err)
	}
	return path, nil
}

// processAlive reports whether pid names a running process.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	if err == nil || errors.Is(err, syscall.EPERM) {
		// A zombie is not a running server.
		stat, rerr := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if rerr == nil {
			if i := strings.LastIndexByte(string(stat), ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
				return false
			}
		}
		return true
	}
	return false
}

// runningServers reads every quire-*.json in dir, skipping (and removing)
// files whose process is gone.
func runningServers(dir string) ([]serverInfo, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "quire-*.json"))
	if err != nil {
		return nil, err
	}
	var out []serverInfo
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var info serverInfo
		if json.Unmarshal(data, &info) != nil || info.PID == 0 {
			continue
		}
		if !processAlive(info.PID) {
			_ = os.Remove(p) // stale: the server died without cleaning up
			continue
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out, nil
}

func (i serverInfo) display() string {
	u := i.URL
	if i.Token != "" {
		u += "?token=" + i.Token
	}
	return u + " :: " + i.RootDir
}

func runList(args []string, env envFunc, stdout, stderr io.Writer) int {
	fs := newFlagSet("quire list", "Usage: quire list [--json]\n\nLists the running Quire servers found in the runtime directory.", stderr)
	asJSON := fs.Bool("json", false, "print one JSON object per line")
	runtimeDir := fs.String("runtime-dir", "", "runtime directory (default: $JUPYTER_RUNTIME_DIR or <Jupyter data dir>/runtime)")
	if code, done := fs.parse(args); done {
		return code
	}
	dir := *runtimeDir
	if dir == "" {
		dir = runtimeDirFor(env)
	}
	servers, err := runningServers(dir)
	if err != nil {
		fmt.Fprintln(stderr, "quire list:", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, s := range servers {
			_ = enc.Encode(s)
		}
		return 0
	}
	if len(servers) == 0 {
		fmt.Fprintln(stdout, "No running Quire servers.")
		return 0
	}
	fmt.Fprintln(stdout, "Running Quire servers:")
	for _, s := range servers {
		fmt.Fprintln(stdout, s.display())
	}
	return 0
}
