package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"regexp"

	"quire/internal/errkind"
	"quire/internal/guard"
	"quire/internal/kernel"
	"quire/internal/kernel/wire"
	"quire/internal/reply"
	"quire/internal/wsbridge"
)

// Kernels is what the kernel routes need.
type Kernels interface {
	List() []kernel.Model
	Get(id string) (kernel.Model, bool)
	// Start starts a kernel of spec name ("" = default) for the notebook
	// at API path p ("" = the root directory).
	Start(ctx context.Context, name, p string) (kernel.Model, error)
	Shutdown(ctx context.Context, id string) error
	Interrupt(ctx context.Context, id string) error
	Restart(ctx context.Context, id string) (kernel.Model, error)
	// Connect opens a client connection for the channels WebSocket.
	Connect(ctx context.Context, id, sessionID string) (wsbridge.KernelConn, error)
}

// Kernel and session ids are UUID-shaped, as Jupyter's routes require.
var idPattern = regexp.MustCompile(`^\w+-\w+-\w+-\w+-\w+$`)

// kernel looks up the kernel named by the route, answering 404 itself
// when there is none.
func (a *API) kernel(w http.ResponseWriter, r *http.Request) (kernel.Model, bool) {
	id := r.PathValue("id")
	var m kernel.Model
	ok := idPattern.MatchString(id)
	if ok {
		m, ok = a.d.Kernels.Get(id)
	}
	if !ok {
		reply.WriteError(w, r, a.d.Log, errkind.Newf(errkind.NotFound, "Kernel does not exist: %s", id))
	}
	return m, ok
}

func (a *API) listKernels(w http.ResponseWriter, r *http.Request) {
	reply.WriteJSON(w, http.StatusOK, a.d.Kernels.List())
}

func (a *API) startKernel(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(r)
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	name, err := b.str("name")
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	p, err := b.str("path")
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	m, err := a.d.Kernels.Start(r.Context(), name, p)
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	guard.SetLocation(w.Header(), a.d.BaseURL+"api/kernels/"+url.PathEscape(m.ID), a.d.BaseURL)
	reply.WriteJSON(w, http.StatusCreated, m)
}

func (a *API) getKernel(w http.ResponseWriter, r *http.Request) {
	m, ok := a.kernel(w, r)
	if !ok {
		return
	}
	reply.WriteJSON(w, http.StatusOK, m)
}

func (a *API) deleteKernel(w http.ResponseWriter, r *http.Request) {
	k, ok := a.kernel(w, r)
	if !ok {
		return
	}
	id := k.ID
	if err := a.d.Kernels.Shutdown(r.Context(), id); err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	reply.WriteJSON(w, http.StatusNoContent, nil)
}

func (a *API) interruptKernel(w http.ResponseWriter, r *http.Request) {
	k, ok := a.kernel(w, r)
	if !ok {
		return
	}
	id := k.ID
	if err := a.d.Kernels.Interrupt(r.Context(), id); err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	reply.WriteJSON(w, http.StatusNoContent, nil)
}

func (a *API) restartKernel(w http.ResponseWriter, r *http.Request) {
	k, ok := a.kernel(w, r)
	if !ok {
		return
	}
	id := k.ID
	m, err := a.d.Kernels.Restart(r.Context(), id)
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	reply.WriteJSON(w, http.StatusOK, m)
}

// channels is the kernel WebSocket. Authentication, Host and Origin were
// checked by the middleware chain before the upgrade, like every route.
func (a *API) channels(w http.ResponseWriter, r *http.Request) {
	k, ok := a.kernel(w, r)
	if !ok {
		return
	}
	id := k.ID
	sessionID := r.URL.Query().Get("session_id")
	if sessionID == "" {
		sessionID = wire.NewID()
		a.d.Log.Warn("kernel WebSocket without session_id; using a random one", "kernel", id)
	}
	conn, err := a.d.Kernels.Connect(r.Context(), id, sessionID)
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	if err := wsbridge.Serve(w, r, conn, a.d.WebSocket); err != nil {
		a.d.Log.Debug("kernel WebSocket ended", "kernel", id, "err", err)
	}
}
