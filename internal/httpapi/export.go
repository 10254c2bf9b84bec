package httpapi

import (
	"net/http"
	"strings"

	"quire/internal/contents"
	"quire/internal/errkind"
	"quire/internal/export"
	"quire/internal/nbformat"
	"quire/internal/reply"
)

// nbconvertScriptCSP is filesCSP letting the inline script of a trusted
// notebook's HTML export run, still in a sandbox without
// allow-same-origin: an opaque origin that cannot read the server's
// cookies or pages.
const nbconvertScriptCSP = "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; img-src 'self' data:; media-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'self'"

// exportFormats answers {base}api/nbconvert: the formats and their media
// types, in the shape jupyter_server gives.
func (a *API) exportFormats(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{}
	for _, f := range export.Formats {
		mt := map[string]string{"html": "text/html", "markdown": "text/markdown", "notebook": "application/json", "script": "text/plain"}[f]
		out[f] = map[string]string{"output_mimetype": mt}
	}
	reply.WriteJSON(w, http.StatusOK, out)
}

// export serves {base}nbconvert/<format>/<path> (GET and HEAD): the
// notebook at path as a script, Markdown, one HTML page or the .ipynb
// itself. It reads the notebook through the contents service (path
// containment, hidden files, the request memory budget) and answers with
// the /files/ headers. ?download=true makes it an attachment named after
// the notebook with the format's extension; a zipped Markdown export is
// always one.
func (a *API) export(w http.ResponseWriter, r *http.Request) {
	setUserFileHeaders(w.Header(), filesCSP)
	format, p := r.PathValue("format"), r.PathValue("path")
	if !export.Known(format) {
		reply.WriteError(w, r, a.d.Log, errkind.Newf(errkind.NotFound,
			"unknown export format %q; known formats: %s", format, strings.Join(export.Formats, ", ")))
		return
	}
	if a.d.Contents == nil {
		reply.WriteError(w, r, a.d.Log, errkind.New(errkind.Unavailable, "contents are not available", nil))
		return
	}
	if !strings.HasSuffix(p, ".ipynb") {
		// A missing file is a 404 whatever its name; an existing one is
		// refused for what it is.
		if _, err := a.d.Contents.Get(r.Context(), p, contents.GetOptions{}); err != nil {
			reply.WriteError(w, r, a.d.Log, err)
			return
		}
		reply.WriteError(w, r, a.d.Log, errkind.Newf(errkind.Invalid, "%s is not a notebook: only .ipynb files can be exported", p))
		return
	}
	if format == "notebook" {
		a.exportNotebook(w, r, p)
		return
	}
	m, err := a.d.Contents.Get(r.Context(), p, contents.GetOptions{Type: contents.TypeNotebook, Content: true})
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	defer m.Release()
	nb, ok := m.Content.(*nbformat.Notebook)
	if !ok {
		reply.WriteError(w, r, a.d.Log, errkind.Newf(errkind.Invalid, "%s is not a notebook", p))
		return
	}
	release, ok := a.chargeMemory(w, r, export.Scratch(nb))
	if !ok {
		return
	}
	defer release()
	trusted := nb.MarkedTrusted()
	res, err := export.Export(nb, format, export.Options{Name: m.Name, Trusted: trusted})
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	h := w.Header()
	if format == "html" && trusted {
		h.Set("Content-Security-Policy", nbconvertScriptCSP)
	}
	h.Set("Content-Type", res.ContentType)
	if downloadArg(r) || res.Ext == ".zip" {
		attachment(h, strings.TrimSuffix(m.Name, ".ipynb")+res.Ext)
	}
	setLastModified(w, m)
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	// The document streams out as it is made: once it has started, an
	// error can only cut it short.
	if err := res.Write(w); err != nil {
		a.d.Log.Debug("export cut short", "path", p, "format", format, "err", err)
	}
}

// exportNotebook sends the .ipynb file as it is on disk, as application/json.
func (a *API) exportNotebook(w http.ResponseWriter, r *http.Request, p string) {
	d, err := a.d.Contents.Open(r.Context(), p)
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	defer d.Body.Close()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if downloadArg(r) {
		attachment(w.Header(), d.Name)
	}
	http.ServeContent(w, r, d.Name, d.Info.ModTime, d.Body)
}
