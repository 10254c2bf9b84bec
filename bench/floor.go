package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// helloSource is the floor Go itself sets for starting and idling: a
// net/http server that answers every request with a small JSON body,
// built by the toolchain that builds Quire (issue #15: Quire's start and
// idle RSS goals are multiples of it, measured in the same run).
const helloSource = `package main

import (
	"flag"
	"net"
	"net/http"
	"os"
	"strconv"
)

func main() {
	port := flag.Int("port", 0, "port on 127.0.0.1")
	flag.Parse()
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(*port))
	if err != nil {
		os.Exit(1)
	}
	http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("{\"started\":\"\"}"))
	}))
}
`

// helloFloor builds the hello-world server once per run (into e.tmp) and
// returns a spec that starts it as startServer starts a real server.
type helloFloor struct {
	once sync.Once
	bin  string
	err  error
}

func (h *helloFloor) spec(ctx context.Context, e *env) (spec, error) {
	h.once.Do(func() {
		dir, err := os.MkdirTemp(e.tmp, "hello-")
		if err != nil {
			h.err = err
			return
		}
		for name, body := range map[string]string{
			"main.go": helloSource,
			"go.mod":  "module hello\n\ngo 1.22\n",
		} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
				h.err = err
				return
			}
		}
		// The Makefile's rule: go on PATH, else the official tarball's.
		goBin, err := exec.LookPath("go")
		if err != nil {
			goBin = "/usr/local/go/bin/go"
		}
		bin := filepath.Join(dir, "hello")
		cmd := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-o", bin, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
		if out, err := cmd.CombinedOutput(); err != nil {
			h.err = fmt.Errorf("build the hello-world floor: %v\n%s", err, out)
			return
		}
		h.bin = bin
		ver, _ := exec.CommandContext(ctx, goBin, "version").Output()
		e.observe("start: the floor is a net/http hello-world server built by `" + strings.TrimSpace(string(ver)) + "` (CGO_ENABLED=0, -trimpath), as the Makefile builds Quire")
	})
	if h.err != nil {
		return spec{}, h.err
	}
	return spec{name: "hello-world floor", command: func(l launch) ([]string, []string) {
		return []string{h.bin, "-port", strconv.Itoa(l.port)}, nil
	}}, nil
}
