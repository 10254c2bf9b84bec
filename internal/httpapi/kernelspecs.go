package httpapi

import (
	"io"
	"net/http"
	"path"
	"time"

	"quire/internal/errkind"
	"quire/internal/reply"
)

// KernelSpecs is what the kernelspec routes need.
type KernelSpecs interface {
	// Models returns the default spec name and every spec's REST model
	// ({"name", "spec", "resources"}), resource URLs under base.
	Models(base string) (def string, models map[string]any)
	// Model returns one spec's REST model.
	Model(name, base string) (any, bool)
	// Resource opens a file of a spec's directory (logos, kernel.js),
	// contained to that directory.
	Resource(name, file string) (io.ReadSeekCloser, time.Time, error)
}

func (a *API) listKernelSpecs(w http.ResponseWriter, r *http.Request) {
	def, models := a.d.KernelSpecs.Models(a.d.BaseURL)
	reply.WriteJSON(w, http.StatusOK, map[string]any{"default": def, "kernelspecs": models})
}

func (a *API) getKernelSpec(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	m, ok := a.d.KernelSpecs.Model(name, a.d.BaseURL)
	if !ok {
		reply.WriteError(w, r, a.d.Log, errkind.Newf(errkind.NotFound, "Kernel spec %s not found", name))
		return
	}
	reply.WriteJSON(w, http.StatusOK, m)
}

// kernelSpecResource serves a kernelspec's logo or kernel.js.
func (a *API) kernelSpecResource(w http.ResponseWriter, r *http.Request) {
	name, file := r.PathValue("name"), r.PathValue("file")
	f, mod, err := a.d.KernelSpecs.Resource(name, file)
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	defer f.Close()
	if path.Ext(file) == ".png" {
		w.Header().Set("Cache-Control", "max-age=2592000")
	}
	http.ServeContent(w, r, file, mod, f)
}
