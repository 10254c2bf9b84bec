package httpapi

import (
	"context"
	"net/http"
	"time"

	"quire/internal/errkind"
	"quire/internal/reply"
	"quire/internal/terminal"
	"quire/internal/wsbridge"
)

// Terminals is what the terminal routes need.
type Terminals interface {
	List() []terminal.Model
	Get(name string) (terminal.Model, bool)
	// Create starts a terminal named name ("" = the next free number) in
	// cwd, a directory inside the root as the contents API names it ("" =
	// the root).
	Create(ctx context.Context, name, cwd string) (terminal.Model, error)
	Delete(ctx context.Context, name string) error
	// Attach connects a client for the terminal WebSocket.
	Attach(name string) (wsbridge.TextConn, error)
	// Counts returns the number of terminals and their last activity.
	Counts() (terminals int, lastActivity time.Time)
}

// terminalName returns the route's terminal name if that terminal exists,
// answering 404 itself otherwise.
func (a *API) terminalName(w http.ResponseWriter, r *http.Request) (terminal.Model, bool) {
	name := r.PathValue("name")
	var m terminal.Model
	ok := terminal.ValidName(name)
	if ok {
		m, ok = a.d.Terminals.Get(name)
	}
	if !ok {
		reply.WriteError(w, r, a.d.Log, errkind.Newf(errkind.NotFound, "Terminal not found: %s", name))
	}
	return m, ok
}

func (a *API) listTerminals(w http.ResponseWriter, r *http.Request) {
	reply.WriteJSON(w, http.StatusOK, a.d.Terminals.List())
}

// createTerminal answers 200, not 201, as jupyter_server does.
func (a *API) createTerminal(w http.ResponseWriter, r *http.Request) {
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
	cwd, err := b.str("cwd")
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	m, err := a.d.Terminals.Create(r.Context(), name, cwd)
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	reply.WriteJSON(w, http.StatusOK, m)
}

func (a *API) getTerminal(w http.ResponseWriter, r *http.Request) {
	m, ok := a.terminalName(w, r)
	if !ok {
		return
	}
	reply.WriteJSON(w, http.StatusOK, m)
}

func (a *API) deleteTerminal(w http.ResponseWriter, r *http.Request) {
	m, ok := a.terminalName(w, r)
	if !ok {
		return
	}
	if err := a.d.Terminals.Delete(r.Context(), m.Name); err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	reply.WriteJSON(w, http.StatusNoContent, nil)
}

// terminalSocket is the terminal WebSocket. Authentication, Host and
// Origin were checked by the middleware chain before the upgrade, as for
// the kernel channels and every route.
func (a *API) terminalSocket(w http.ResponseWriter, r *http.Request) {
	m, ok := a.terminalName(w, r)
	if !ok {
		return
	}
	conn, err := a.d.Terminals.Attach(m.Name)
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	if err := wsbridge.ServeText(w, r, conn, a.d.TerminalWebSocket); err != nil {
		a.d.Log.Debug("terminal WebSocket ended", "terminal", m.Name, "err", err)
	}
}
