package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

const (
	smallTimeout = 30 * time.Second  // any request on a small body
	largeTimeout = 180 * time.Second // requests carrying the big notebook
)

// client talks to one server's HTTP API with its token. Compression is off
// (no Accept-Encoding), so both servers send the same bytes and the timing
// holds no client-side decompression.
type client struct {
	base  string
	token string
	hc    *http.Client
	tr    *http.Transport
	// auth replaces "token <token>" as the Authorization header (a
	// proxy's Basic login); origin, when set, is sent as Origin on
	// WebSockets, as a browser does.
	auth, origin string
	// scratch receives the bodies of doScratch, reused from one request to
	// the next.
	scratch bytes.Buffer
}

func newClient(base, token string) *client {
	tr := &http.Transport{
		DisableCompression:  true,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
	}
	return &client{base: base, token: token, tr: tr, hc: &http.Client{Transport: tr}}
}

func (c *client) close() { c.tr.CloseIdleConnections() }

// authorization is the Authorization header the client sends.
func (c *client) authorization() string {
	if c.auth != "" {
		return c.auth
	}
	return "token " + c.token
}

// response is one timed request: from sending it until the last byte of
// the body has been read.
type response struct {
	status int
	body   []byte
	took   time.Duration
}

// do sends one request with a timeout and reads the whole body.
func (c *client) do(ctx context.Context, method, path string, body []byte, timeout time.Duration) (response, error) {
	return c.send(ctx, method, path, body, timeout, nil)
}

// doScratch is do reading the body into the client's reused scratch
// buffer: the body is only valid until the next doScratch. For responses
// of many megabytes, growing a fresh buffer (and faulting in its pages)
// would time the harness's memory rather than the server; both servers'
// figures carry the same copy into memory that is already mapped.
// Not for concurrent use on one client.
func (c *client) doScratch(ctx context.Context, method, path string, body []byte, timeout time.Duration) (response, error) {
	c.scratch.Reset()
	return c.send(ctx, method, path, body, timeout, &c.scratch)
}

func (c *client) send(ctx context.Context, method, path string, body []byte, timeout time.Duration, into *bytes.Buffer) (response, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Authorization", c.authorization())
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	t0 := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	var data []byte
	if into != nil {
		_, err = into.ReadFrom(resp.Body)
		data = into.Bytes()
	} else {
		data, err = io.ReadAll(resp.Body)
	}
	took := time.Since(t0)
	if err != nil {
		return response{status: resp.StatusCode}, fmt.Errorf("%s %s: reading body: %w", method, path, err)
	}
	return response{status: resp.StatusCode, body: data, took: took}, nil
}

// get is do for a GET returning only status and body.
func (c *client) get(ctx context.Context, path string, timeout time.Duration) (int, []byte, error) {
	r, err := c.do(ctx, http.MethodGet, path, nil, timeout)
	return r.status, r.body, err
}

// expect sends a request and fails unless the status is one of want; it
// returns the response for timing and checks.
func (c *client) expect(ctx context.Context, method, path string, body []byte, timeout time.Duration, want ...int) (response, error) {
	r, err := c.do(ctx, method, path, body, timeout)
	return r, wantStatus(r, err, method, path, want)
}

// expectScratch is expect reading the body like doScratch.
func (c *client) expectScratch(ctx context.Context, method, path string, body []byte, timeout time.Duration, want ...int) (response, error) {
	r, err := c.doScratch(ctx, method, path, body, timeout)
	return r, wantStatus(r, err, method, path, want)
}

func wantStatus(r response, err error, method, path string, want []int) error {
	if err != nil {
		return err
	}
	for _, w := range want {
		if r.status == w {
			return nil
		}
	}
	snippet := r.body
	if len(snippet) > 300 {
		snippet = snippet[:300]
	}
	return fmt.Errorf("%s %s: status %d, want %v: %s", method, path, r.status, want, snippet)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
