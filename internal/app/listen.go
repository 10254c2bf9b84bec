package app

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
)

// wildcardIP reports whether ip means "every interface".
func wildcardIP(ip string) bool {
	switch ip {
	case "", "*", "0.0.0.0", "::", "[::]":
		return true
	}
	return false
}

func listenHost(ip string) string {
	if wildcardIP(ip) {
		return ""
	}
	return ip
}

// loopbackOnly reports whether binding to ip exposes the server to this
// machine only.
func loopbackOnly(ip string) bool {
	if wildcardIP(ip) {
		return false
	}
	if parsed := net.ParseIP(ip); parsed != nil {
		return parsed.IsLoopback()
	}
	addrs, err := net.LookupIP(ip)
	if err != nil || len(addrs) == 0 {
		return false
	}
	for _, a := range addrs {
		if !a.IsLoopback() {
			return false
		}
	}
	return true
}

// listenTCP listens on ip:port, trying the following `retries` ports when
// the port is busy.
func listenTCP(ip string, port, retries int) (net.Listener, error) {
	host := listenHost(ip)
	var lastErr error
	for i := 0; i <= retries; i++ {
		p := port + i
		if port == 0 {
			p = 0
		}
		if p > 65535 {
			break
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err == nil {
			return ln, nil
		}
		lastErr = err
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("listen on %s port %d: %w", displayIP(ip), p, err)
		}
	}
	if retries == 0 {
		return nil, fmt.Errorf("port %d on %s is already in use (another Jupyter or Quire server?): stop it, choose another port with --port, or let Quire try the next ones with --port-retries N", port, displayIP(ip))
	}
	return nil, fmt.Errorf("ports %d to %d on %s are all in use; last error: %w", port, port+retries, displayIP(ip), lastErr)
}

func displayIP(ip string) string {
	if wildcardIP(ip) {
		return "all interfaces"
	}
	return ip
}

// listenUnix listens on a Unix socket with mode 0600. A leftover socket file
// nobody answers on is replaced; any other existing file is an error.
func listenUnix(path string) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("--sock %s exists and is not a socket; refusing to replace it", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("--sock %s: another server is listening there", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale socket %s: %w", path, err)
		}
	}
	// The umask closes the window in which the socket would exist with
	// looser permissions than 0600.
	old := syscall.Umask(0o177)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("listen on socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("chmod socket %s: %w", path, err)
	}
	return ln, nil
}
