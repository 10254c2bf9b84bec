// Package s3gw runs Versity's S3 gateway (versitygw, posix backend) on
// loopback for tests and benchmarks: the real, open-source S3 server the
// S3 contents store is tested against. `make test` installs the binary at
// .tools/versitygw (QUIRE_TEST_VERSITYGW names it) and sets
// QUIRE_TEST_S3_REQUIRED=1, which turns a missing binary from a skip
// into a failure.
package s3gw

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Gateway is a running versitygw.
type Gateway struct {
	Bin     string
	Dir     string // the posix backend's directory
	Addr    string // host:port on loopback
	Access  string
	Secret  string
	cmd     *exec.Cmd
	done    chan error
	logFile *os.File
	// certFile and keyFile, when set, make the gateway speak HTTPS.
	certFile, keyFile string
}

// MakeBucket creates bucket: in the posix backend a bucket is a top-level
// directory.
func (g *Gateway) MakeBucket(bucket string) error {
	return os.Mkdir(filepath.Join(g.Dir, bucket), 0o755)
}

// Endpoint is the gateway's URL.
func (g *Gateway) Endpoint() string {
	if g.certFile != "" {
		return "https://" + g.Addr
	}
	return "http://" + g.Addr
}

// Binary finds versitygw: $QUIRE_TEST_VERSITYGW, else .tools/versitygw in
// the module root above the working directory. It returns "" when there
// is none.
func Binary() string {
	if b := os.Getenv("QUIRE_TEST_VERSITYGW"); b != "" {
		return b
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			b := filepath.Join(dir, ".tools", "versitygw")
			if _, err := os.Stat(b); err == nil {
				return b
			}
			return ""
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}

// Required reports whether a missing gateway must fail the tests
// (QUIRE_TEST_S3_REQUIRED=1, as `make test` sets) rather than skip them.
func Required() bool { return os.Getenv("QUIRE_TEST_S3_REQUIRED") == "1" }

// Start runs bin with a posix backend in dir on a loopback port it picks,
// with fresh random root credentials, and waits until it answers. Its
// output goes to dir's sibling log file.
func Start(ctx context.Context, bin, dir string) (*Gateway, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	g := &Gateway{Bin: bin, Dir: dir, Access: "quire" + strings.ToLower(rand.Text()[:12]), Secret: rand.Text()}
	return g, g.start(ctx, "")
}

// StartTLS is Start with the gateway serving HTTPS with the PEM
// certificate and key given.
func StartTLS(ctx context.Context, bin, dir, certFile, keyFile string) (*Gateway, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	g := &Gateway{Bin: bin, Dir: dir, Access: "quire" + strings.ToLower(rand.Text()[:12]), Secret: rand.Text(), certFile: certFile, keyFile: keyFile}
	return g, g.start(ctx, "")
}

func (g *Gateway) start(ctx context.Context, addr string) error {
	if addr == "" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		addr = l.Addr().String()
		l.Close()
	}
	g.Addr = addr
	lf, err := os.OpenFile(g.Dir+".log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	args := []string{"--port", addr}
	if g.certFile != "" {
		args = append(args, "--cert", g.certFile, "--key", g.keyFile)
	}
	cmd := exec.Command(g.Bin, append(args, "posix", g.Dir)...)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+g.Access, "ROOT_SECRET_ACCESS_KEY="+g.Secret)
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		lf.Close()
		return fmt.Errorf("start versitygw: %w", err)
	}
	g.cmd, g.logFile, g.done = cmd, lf, make(chan error, 1)
	go func() { g.done <- cmd.Wait() }()
	// Liveness only: any answer will do, so the certificate is not checked.
	probe := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // liveness of a test server
	defer probe.CloseIdleConnections()
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-g.done:
			lf.Close()
			log, _ := os.ReadFile(g.Dir + ".log")
			return fmt.Errorf("versitygw exited at start (%v): %s", err, tail(string(log)))
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", g.Endpoint()+"/", nil)
		if resp, err := probe.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			g.Stop()
			return errors.New("versitygw did not answer within 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

// Stop kills the gateway and waits for it.
func (g *Gateway) Stop() {
	if g.cmd == nil {
		return
	}
	_ = g.cmd.Process.Kill()
	<-g.done
	g.logFile.Close()
	g.cmd = nil
}

// Restart starts the gateway again on the same port and directory.
func (g *Gateway) Restart(ctx context.Context) error {
	g.Stop()
	return g.start(ctx, g.Addr)
}
