package tlsx

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"sync"
)

// maxProblemBody bounds how much of a JSON response from the CA is read to
// look for its reasons; a larger one passes through unread.
const maxProblemBody = 1 << 20

// caTransport carries Quire's requests to the ACME CA. It ends each one
// when life ends (autocert gives its requests contexts of its own), and
// logs the reasons the CA gives for a failure, which autocert would
// otherwise drop: a failure to reach it, an error document (RFC 8555 6.7)
// answering a request, and the error of an invalid authorization,
// challenge or order.
type caTransport struct {
	next http.RoundTripper
	life context.Context
	log  *slog.Logger

	mu     sync.Mutex
	logged map[string]bool // invalid objects already reported, by URL
}

func (t *caTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	stop := context.AfterFunc(t.life, cancel)
	release := func() { stop(); cancel() }
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		release()
		if t.life.Err() == nil { // not Quire shutting down
			t.log.Warn("ACME: cannot reach the CA", "method", req.Method, "host", req.URL.Host, "path", req.URL.Path, "err", err)
		}
		return nil, err
	}
	resp.Body = &releaseBody{ReadCloser: resp.Body, release: release}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch mt {
	case "application/problem+json":
		if b, ok := peek(resp); ok {
			var p problem
			if json.Unmarshal(b, &p) == nil {
				// The ACME client retries a stale nonce by itself.
				level := slog.LevelWarn
				if p.Type == "urn:ietf:params:acme:error:badNonce" {
					level = slog.LevelDebug
				}
				t.log.Log(req.Context(), level, "ACME: the CA refused a request", append([]any{"method", req.Method, "path", req.URL.Path,
					"status", resp.StatusCode, "type", p.Type, "detail", p.Detail}, p.subproblems()...)...)
			}
		}
	case "application/json":
		if b, ok := peek(resp); ok {
			t.reportInvalid(req.URL.String(), b)
		}
	}
	return resp, nil
}

// problem is an ACME error document.
type problem struct {
	Type        string `json:"type"`
	Detail      string `json:"detail"`
	Subproblems []struct {
		Type       string `json:"type"`
		Detail     string `json:"detail"`
		Identifier struct {
			Value string `json:"value"`
		} `json:"identifier"`
	} `json:"subproblems"`
}

// subproblems are log attributes naming each subproblem's identifier,
// type and detail; none when there are none.
func (p problem) subproblems() []any {
	if len(p.Subproblems) == 0 {
		return nil
	}
	var lines []string
	for _, s := range p.Subproblems {
		lines = append(lines, s.Identifier.Value+": "+s.Type+": "+s.Detail)
	}
	return []any{"subproblems", lines}
}

// reportInvalid logs the error of an invalid authorization (its failed
// challenges) or order, once per object.
func (t *caTransport) reportInvalid(url string, body []byte) {
	var obj struct {
		Status     string `json:"status"`
		Identifier struct {
			Value string `json:"value"`
		} `json:"identifier"`
		Error      *problem `json:"error"`
		Challenges []struct {
			Type  string   `json:"type"`
			Error *problem `json:"error"`
		} `json:"challenges"`
	}
	if json.Unmarshal(body, &obj) != nil || obj.Status != "invalid" {
		return
	}
	t.mu.Lock()
	seen := t.logged[url]
	if !seen {
		if t.logged == nil || len(t.logged) >= 1024 {
			t.logged = map[string]bool{} // forget old ones rather than grow
		}
		t.logged[url] = true
	}
	t.mu.Unlock()
	if seen {
		return
	}
	for _, c := range obj.Challenges {
		if c.Error != nil {
			t.log.Warn("ACME: the CA could not validate a challenge", "domain", obj.Identifier.Value, "challenge", c.Type,
				"type", c.Error.Type, "detail", c.Error.Detail)
		}
	}
	if obj.Error != nil {
		t.log.Warn("ACME: the CA marked an order or authorization invalid", append([]any{"domain", obj.Identifier.Value,
			"type", obj.Error.Type, "detail", obj.Error.Detail}, obj.Error.subproblems()...)...)
	}
}

// peek reads resp's body if it is at most maxProblemBody long and puts the
// bytes back for the caller; ok is false (and the body untouched for the
// reader) otherwise.
func peek(resp *http.Response) ([]byte, bool) {
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxProblemBody+1))
	rest := resp.Body
	resp.Body = &readCloser{Reader: io.MultiReader(bytes.NewReader(b), rest), Closer: rest}
	if err != nil || len(b) > maxProblemBody {
		return nil, false
	}
	return b, true
}

type readCloser struct {
	io.Reader
	io.Closer
}

// releaseBody ends the request's context once the body is closed.
type releaseBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releaseBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}
