package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"quire/internal/bigbuf"
	"quire/internal/contents"
	"quire/internal/errkind"
	"quire/internal/guard"
	"quire/internal/reply"
)

// Contents is what the contents and files handlers need from the contents
// service (*contents.Service).
type Contents interface {
	Get(ctx context.Context, path string, opt contents.GetOptions) (*contents.Model, error)
	Save(ctx context.Context, path string, req contents.SaveRequest) (m *contents.Model, created bool, err error)
	NewUntitled(ctx context.Context, dir, typ, ext string) (*contents.Model, error)
	Create(ctx context.Context, dir string, req contents.NewRequest) (*contents.Model, error)
	Rename(ctx context.Context, from, to string) (*contents.Model, error)
	Delete(ctx context.Context, path string) error
	ListCheckpoints(ctx context.Context, path string) ([]contents.Checkpoint, error)
	CreateCheckpoint(ctx context.Context, path string) (contents.Checkpoint, error)
	RestoreCheckpoint(ctx context.Context, path, id string) error
	DeleteCheckpoint(ctx context.Context, path, id string) error
	Trust(ctx context.Context, path string) error
	Open(ctx context.Context, path string) (*contents.Download, error)
}

// checkpointRoute matches "<path>/checkpoints/<id>".
var checkpointRoute = regexp.MustCompile(`^(.+)/checkpoints/([\w-]+)$`)

// contents serves {base}api/contents[/<path>], including the
// "/checkpoints[/<id>]" and "/trust" sub-resources, which the mux cannot
// split off (the wildcard must be last). A sub-resource is only recognised
// for the methods it supports, so a file named "checkpoints" stays
// reachable with the others.
func (a *API) contents(w http.ResponseWriter, r *http.Request) {
	if a.d.Contents == nil {
		reply.WriteError(w, r, a.d.Log, errkind.New(errkind.Unavailable, "contents are not available", nil))
		return
	}
	p := r.PathValue("path")
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(p, "/trust"):
		a.trust(w, r, strings.TrimSuffix(p, "/trust"))
		return
	case (r.Method == http.MethodGet || r.Method == http.MethodPost) && strings.HasSuffix(p, "/checkpoints"):
		a.checkpoints(w, r, strings.TrimSuffix(p, "/checkpoints"))
		return
	case r.Method == http.MethodPost || r.Method == http.MethodDelete:
		if m := checkpointRoute.FindStringSubmatch(p); m != nil {
			a.checkpoint(w, r, m[1], m[2])
			return
		}
	}
	switch r.Method {
	case http.MethodGet:
		a.contentsGet(w, r, p)
	case http.MethodPut:
		a.contentsPut(w, r, p)
	case http.MethodPost:
		a.contentsPost(w, r, p)
	case http.MethodPatch:
		a.contentsPatch(w, r, p)
	case http.MethodDelete:
		if err := a.d.Contents.Delete(r.Context(), p); err != nil {
			reply.WriteError(w, r, a.d.Log, err)
			return
		}
		reply.WriteJSON(w, http.StatusNoContent, nil)
	default:
		w.Header().Set("Allow", "GET, PUT, POST, PATCH, DELETE")
		reply.WriteMessage(w, http.StatusMethodNotAllowed, "Method Not Allowed")
	}
}

// boolArg reads a 0|1 query argument.
func boolArg(r *http.Request, key string, def bool, what string) (bool, error) {
	v, ok := r.URL.Query()[key]
	if !ok {
		return def, nil
	}
	switch v[0] {
	case "0":
		return false, nil
	case "1":
		return true, nil
	}
	return false, errkind.Newf(errkind.Invalid, "%s %q is invalid", what, v[0])
}

func (a *API) contentsGet(w http.ResponseWriter, r *http.Request, p string) {
	q := r.URL.Query()
	opt := contents.GetOptions{Type: q.Get("type"), Format: q.Get("format")}
	var err error
	if opt.Content, err = boolArg(r, "content", true, "Content"); err == nil {
		opt.Hash, err = boolArg(r, "hash", false, "Hash argument")
	}
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	m, err := a.d.Contents.Get(r.Context(), p, opt)
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	// WriteJSON copies the content out as it encodes it; its buffers can
	// then serve the next large request.
	defer m.Release()
	setLastModified(w, m)
	reply.WriteJSON(w, http.StatusOK, m)
}

// chargeMemory charges n bytes to the request memory budget. When the
// budget refuses, it answers the request (503 with Retry-After, or 413 for
// a request bigger than the whole budget) and returns ok false.
func (a *API) chargeMemory(w http.ResponseWriter, r *http.Request, n int64) (release func(), ok bool) {
	if a.d.Memory == nil {
		return func() {}, true
	}
	release, err := a.d.Memory.Acquire(n)
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return nil, false
	}
	return release, true
}

func setLastModified(w http.ResponseWriter, m *contents.Model) {
	if !m.LastModified.IsZero() {
		w.Header().Set("Last-Modified", m.LastModified.UTC().Format(http.TimeFormat))
	}
}

// writeModel answers a write with the model, Location and Last-Modified.
func (a *API) writeModel(w http.ResponseWriter, status int, m *contents.Model) {
	guard.SetLocation(w.Header(), a.d.BaseURL+"api/contents/"+escapePath(m.Path), a.d.BaseURL)
	setLastModified(w, m)
	reply.WriteJSON(w, status, m)
}

// body is a decoded JSON object body, fields still raw. A nil body means
// the request had none (or "{}" / "null", which Jupyter treats alike).
type body map[string]json.RawMessage

func readBody(r *http.Request) (body, error) {
	b, _, err := readBodyBuf(r, nil) // small bodies: nothing to reuse
	return b, err
}

// readBodyBuf is readBody that also returns the buffer the body was read
// into, taken from bufs for large bodies: the caller owns it, and once it
// is done with every value of the body (they alias the buffer) gives it
// back with bufs.Put.
func readBodyBuf(r *http.Request, bufs *bigbuf.Cache) (body, []byte, error) {
	if r.Body == nil {
		return nil, nil, nil
	}
	// One read into a buffer of the announced size, then one structural
	// scan: no reflective decode of a 20 MB notebook.
	buf := bytes.NewBuffer(bufs.Get(int(max(min(r.ContentLength, 1<<30), 0)) + 512)[:0])
	if _, err := buf.ReadFrom(r.Body); err != nil {
		bufs.Put(buf.Bytes())
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, err
		}
		return nil, nil, errkind.New(errkind.Invalid, "could not read the request body", err)
	}
	b, err := splitObject(buf.Bytes())
	if err != nil {
		bufs.Put(buf.Bytes())
		return nil, nil, errkind.New(errkind.Invalid, "Invalid JSON in body of request: "+err.Error(), err)
	}
	return b, buf.Bytes(), nil
}

// str reads an optional string field ("" if absent or null).
func (b body) str(key string) (string, error) {
	raw, ok := b[key]
	if !ok || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errkind.Newf(errkind.Invalid, "%q must be a string", key)
	}
	return s, nil
}

// chunk reads the optional "chunk" field: 0 if absent, else 1, 2, … or -1.
func (b body) chunk() (int, error) {
	raw, ok := b["chunk"]
	if !ok || string(raw) == "null" {
		return 0, nil
	}
	var n int
	if err := json.Unmarshal(raw, &n); err != nil || (n < 1 && n != -1) {
		return 0, errkind.Newf(errkind.Invalid, "Invalid chunk number %s: chunks are 1, 2, … and -1 for the last", truncate(string(raw), 40))
	}
	return n, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func (a *API) contentsPut(w http.ResponseWriter, r *http.Request, p string) {
	// The request memory budget is charged twice: the least the body's
	// announced length can cost before it is read, then, in its place,
	// the estimated peak of handling its content (contents.Footprint)
	// before it is parsed. A body announced over --max-body-size is left
	// to fail with that limit's 413.
	releaseFloor := func() {}
	if r.ContentLength >= 0 && (a.d.MaxBodySize <= 0 || r.ContentLength <= a.d.MaxBodySize) {
		release, ok := a.chargeMemory(w, r, contents.FootprintFloor(r.ContentLength))
		if !ok {
			return
		}
		releaseFloor = release
		defer release()
	}
	b, buf, err := readBodyBuf(r, a.d.Buffers)
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	if raw := b["content"]; len(raw) > 0 {
		typ, _ := b.str("type")
		if typ == "" && raw[0] == '{' {
			typ = contents.TypeNotebook
		}
		// The floor goes back first, so that a need over the whole budget
		// is refused as too large (413), not as busy because of the floor.
		releaseFloor()
		release, ok := a.chargeMemory(w, r, contents.Footprint(typ, raw))
		if !ok {
			a.d.Buffers.Put(buf)
			return
		}
		defer release()
	}
	// Save copies what it keeps out of the body (the notebook decoder into
	// its own arena), so the buffer can serve the next large request.
	defer a.d.Buffers.Put(buf)
	if len(b) == 0 {
		m, err := a.d.Contents.NewUntitled(r.Context(), p, "", "")
		if err != nil {
			reply.WriteError(w, r, a.d.Log, err)
			return
		}
		a.writeModel(w, http.StatusCreated, m)
		return
	}
	if cf, err := b.str("copy_from"); err != nil || cf != "" {
		reply.WriteError(w, r, a.d.Log, errkind.New(errkind.Invalid, "Cannot copy with PUT, only POST", err))
		return
	}
	req := contents.SaveRequest{Content: b["content"]}
	if string(req.Content) == "null" {
		req.Content = nil
	}
	if req.Type, err = b.str("type"); err == nil {
		if req.Format, err = b.str("format"); err == nil {
			if req.Path, err = b.str("path"); err == nil {
				req.Chunk, err = b.chunk()
			}
		}
	}
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	req.Cond.IfMatch = r.Header.Get("If-Match")
	if req.Hash, err = boolArg(r, "hash", false, "Hash argument"); err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	if ius := r.Header.Get("If-Unmodified-Since"); ius != "" {
		if t, err := http.ParseTime(ius); err == nil {
			req.Cond.IfUnmodifiedSince = t
		}
	}
	m, created, err := a.d.Contents.Save(r.Context(), p, req)
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	if m.Hash != "" {
		// Quire's extension: the hash of what was written travels as the
		// ETag (the next save's If-Match); the model stays as Jupyter's,
		// whose PUT never carries a hash.
		w.Header().Set("ETag", `"`+m.Hash+`"`)
		m.Hash, m.HashAlgorithm = "", ""
	}
	a.writeModel(w, status, m)
}

func (a *API) contentsPost(w http.ResponseWriter, r *http.Request, p string) {
	b, err := readBody(r)
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	var req contents.NewRequest
	if req.CopyFrom, err = b.str("copy_from"); err == nil {
		if req.Type, err = b.str("type"); err == nil {
			req.Ext, err = b.str("ext")
		}
	}
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	m, err := a.d.Contents.Create(r.Context(), p, req)
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	a.writeModel(w, http.StatusCreated, m)
}

func (a *API) contentsPatch(w http.ResponseWriter, r *http.Request, p string) {
	b, err := readBody(r)
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	if b == nil {
		reply.WriteError(w, r, a.d.Log, errkind.New(errkind.Invalid, "JSON body missing", nil))
		return
	}
	to, err := b.str("path")
	if err == nil && to == "" {
		err = errkind.New(errkind.Invalid, `"path" missing: give the new path`, nil)
	}
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	m, err := a.d.Contents.Rename(r.Context(), p, to)
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	a.writeModel(w, http.StatusOK, m)
}

func (a *API) checkpoints(w http.ResponseWriter, r *http.Request, p string) {
	if r.Method == http.MethodGet {
		list, err := a.d.Contents.ListCheckpoints(r.Context(), p)
		if err != nil {
			reply.WriteError(w, r, a.d.Log, err)
			return
		}
		reply.WriteJSON(w, http.StatusOK, list)
		return
	}
	cp, err := a.d.Contents.CreateCheckpoint(r.Context(), p)
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	guard.SetLocation(w.Header(), a.d.BaseURL+"api/contents/"+escapePath(strings.Trim(p, "/"))+"/checkpoints/"+url.PathEscape(cp.ID), a.d.BaseURL)
	reply.WriteJSON(w, http.StatusCreated, cp)
}

func (a *API) checkpoint(w http.ResponseWriter, r *http.Request, p, id string) {
	var err error
	if r.Method == http.MethodPost {
		err = a.d.Contents.RestoreCheckpoint(r.Context(), p, id)
	} else {
		err = a.d.Contents.DeleteCheckpoint(r.Context(), p, id)
	}
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	reply.WriteJSON(w, http.StatusNoContent, nil)
}

func (a *API) trust(w http.ResponseWriter, r *http.Request, p string) {
	if err := a.d.Contents.Trust(r.Context(), p); err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	reply.WriteJSON(w, http.StatusCreated, nil)
}
