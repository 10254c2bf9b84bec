package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
)

const (
	kernelTimeout = 90 * time.Second // POST /api/kernels, DELETE, kernel_info
	execTimeout   = 30 * time.Second // one short execute_request
	kernelSpec    = "python3"        // Debian's python3-ipykernel kernelspec
)

// startKernel starts a python3 kernel with POST /api/kernels and returns
// its id and how long the request took.
func startKernel(ctx context.Context, srv *server) (string, time.Duration, error) {
	r, err := srv.client.expect(ctx, http.MethodPost, "/api/kernels", []byte(`{"name":"`+kernelSpec+`"}`),
		kernelTimeout, http.StatusCreated, http.StatusOK)
	if err != nil {
		return "", 0, err
	}
	var m struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(r.body, &m); err != nil || m.ID == "" {
		return "", 0, fmt.Errorf("POST /api/kernels: no id in %.200q (%v)", r.body, err)
	}
	return m.ID, r.took, nil
}

// deleteKernel shuts a kernel down with DELETE and returns how long the
// request took.
func deleteKernel(ctx context.Context, srv *server, id string) (time.Duration, error) {
	r, err := srv.client.expect(ctx, http.MethodDelete, "/api/kernels/"+id, nil, kernelTimeout, http.StatusNoContent)
	return r.took, err
}

// openKernel starts a kernel, connects to it offering v1 and waits for
// its kernel_info_reply: the state of a notebook that has just opened.
func openKernel(ctx context.Context, srv *server) (string, *kernelWS, error) {
	id, _, err := startKernel(ctx, srv)
	if err != nil {
		return "", nil, err
	}
	ws, err := connectKernel(ctx, srv, id)
	return id, ws, err
}

// connectKernel opens a WebSocket offering v1 and, as JupyterLab does,
// waits for the reply to its kernel_info_request before using it (a
// server may not forward iopub until its own nudge is done).
func connectKernel(ctx context.Context, srv *server, id string) (*kernelWS, error) {
	ws, err := dialKernel(ctx, srv, id, true)
	if err != nil {
		return nil, err
	}
	if err := kernelInfo(ctx, ws, kernelTimeout); err != nil {
		ws.close()
		return nil, err
	}
	return ws, nil
}

// openKernels opens n kernels, par at a time, and returns their ids and
// connections in order. On error what was opened is still returned, so
// the caller can delete it.
func openKernels(ctx context.Context, srv *server, n, par int) ([]string, []*kernelWS, error) {
	ids := make([]string, n)
	wss := make([]*kernelWS, n)
	errs := make([]error, n)
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ids[i], wss[i], errs[i] = openKernel(ctx, srv)
		})
	}
	wg.Wait()
	ids = slices.DeleteFunc(ids, func(s string) bool { return s == "" })
	wss = slices.DeleteFunc(wss, func(w *kernelWS) bool { return w == nil })
	for _, err := range errs {
		if err != nil {
			return ids, wss, err
		}
	}
	return ids, wss, nil
}

// closeKernels closes the connections, deletes the kernels (4 at a time) and checks that
// no kernel process of this server is left running.
func closeKernels(ctx context.Context, srv *server, ids []string, wss []*kernelWS) error {
	for _, ws := range wss {
		ws.close()
	}
	errs := make([]error, len(ids))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			_, errs[i] = deleteKernel(ctx, srv, id)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return waitKernelsGone(ctx, srv.home, 15*time.Second)
}

// connFile is the part of a kernel's connection file the floor client uses.
type connFile struct {
	IP              string `json:"ip"`
	Transport       string `json:"transport"`
	ShellPort       int    `json:"shell_port"`
	IOPubPort       int    `json:"iopub_port"`
	Key             string `json:"key"`
	SignatureScheme string `json:"signature_scheme"`
}

func (c connFile) endpoint(port int) string {
	if c.Transport == "ipc" {
		return "ipc://" + c.IP + "-" + strconv.Itoa(port)
	}
	return c.Transport + "://" + c.IP + ":" + strconv.Itoa(port)
}

// readConnFile reads kernel-<id>.json from the server's runtime dir
// (JUPYTER_RUNTIME_DIR, which the harness sets for both servers).
func readConnFile(srv *server, id string) (connFile, error) {
	var c connFile
	data, err := os.ReadFile(filepath.Join(srv.home, "rt", "kernel-"+id+".json"))
	if err != nil {
		return c, fmt.Errorf("connection file: %w", err)
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("connection file: %w", err)
	}
	return c, nil
}

// kernelPIDs returns the processes whose command line names a connection
// file in home's runtime dir: the kernels of the server that owns home.
// Kernels run in their own process groups, so stopping the server's group
// does not reach them.
func kernelPIDs(home string) []int {
	needle := []byte(filepath.Join(home, "rt") + "/")
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && bytes.Contains(cmd, needle) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitKernelsGone waits until no kernel of home runs, or fails after d.
func waitKernelsGone(ctx context.Context, home string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		pids := kernelPIDs(home)
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d kernel process(es) %v still running %v after every kernel was deleted", len(pids), pids, d)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

// killKernels kills, by pid, every kernel of home still running once its
// server has stopped (after a short grace for a clean exit).
func killKernels(home string, log io.Writer) {
	if waitKernelsGone(context.Background(), home, 3*time.Second) == nil {
		return
	}
	pids := kernelPIDs(home)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	fmt.Fprintf(log, "bench: killed %d kernel process(es) left behind in %s: %v\n", len(pids), home, pids)
}
