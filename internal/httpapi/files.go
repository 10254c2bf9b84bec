package httpapi

import (
	"net/http"
	"strings"

	"quire/internal/contents"
	"quire/internal/errkind"
	"quire/internal/percent"
	"quire/internal/reply"
)

// filesCSP keeps downloaded HTML and SVG from running script in our
// origin.
const filesCSP = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"

// files serves raw file bytes at {base}files/<path> (GET and HEAD), with
// Range and If-Modified-Since support. Cross-Origin-Resource-Policy keeps
// other sites from including a user file as a script, style or image
// (XSSI, CVE-2019-9644 and CVE-2023-40170) even in browsers that send no
// Sec-Fetch-Site, on which auth's cross-site refusal relies.
func (a *API) files(w http.ResponseWriter, r *http.Request) {
	setUserFileHeaders(w.Header(), filesCSP)
	if a.d.Contents == nil {
		reply.WriteError(w, r, a.d.Log, errkind.New(errkind.Unavailable, "contents are not available", nil))
		return
	}
	d, err := a.d.Contents.Open(r.Context(), r.PathValue("path"))
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	defer d.Body.Close()

	download := downloadArg(r)
	ctype := contents.MimeType(d.Name)
	if strings.HasSuffix(d.Name, ".ipynb") {
		ctype, download = "application/x-ipynb+json", true
	}
	switch ctype {
	case "":
		ctype = "application/octet-stream"
	case "text/plain":
		ctype = "text/plain; charset=UTF-8"
	}
	w.Header().Set("Content-Type", ctype)
	if download {
		attachment(w.Header(), d.Name)
	}
	http.ServeContent(w, r, d.Name, d.Info.ModTime, d.Body)
}

// setUserFileHeaders sets the headers of every response that carries a
// user file or a document made from one ({base}files/, {base}nbconvert/):
// csp (filesCSP, or nbconvertScriptCSP for a trusted notebook's HTML),
// no cross-origin embedding, no sniffing, revalidation on every use.
func setUserFileHeaders(h http.Header, csp string) {
	h.Set("Content-Security-Policy", csp)
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
}

// downloadArg reports whether the query asks for an attachment: download
// present and not "", "0", "false" or "no".
func downloadArg(r *http.Request) bool {
	v, ok := r.URL.Query()["download"]
	if !ok {
		return false
	}
	switch strings.ToLower(v[0]) {
	case "", "0", "false", "no":
		return false
	}
	return true
}

// attachment sets Content-Disposition to attachment with filename name.
func attachment(h http.Header, name string) {
	h.Set("Content-Disposition", "attachment; filename*=UTF-8''"+encodeRFC5987(name))
}

// encodeRFC5987 percent-encodes s for a filename* parameter.
func encodeRFC5987(s string) string {
	return percent.Encode(s, "!#$&+-.^_`|~")
}
