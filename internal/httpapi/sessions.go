package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"quire/internal/errkind"
	"quire/internal/guard"
	"quire/internal/reply"
	"quire/internal/session"
)

// Sessions is what the session routes need.
type Sessions interface {
	List() []session.Session
	Get(id string) (session.Session, error)
	Create(ctx context.Context, req session.Request) (session.Session, error)
	Update(ctx context.Context, id string, req session.Request) (session.Session, error)
	Delete(ctx context.Context, id string) error
}

// sessionModel renders a session with its kernel, as Jupyter does.
func (a *API) sessionModel(s session.Session) map[string]any {
	m := map[string]any{
		"id":   s.ID,
		"path": s.Path,
		"name": s.Name,
		"type": s.Type,
	}
	if k, ok := a.d.Kernels.Get(s.KernelID); ok {
		m["kernel"] = k
	} else {
		m["kernel"] = nil
	}
	if s.Type == "notebook" {
		m["notebook"] = map[string]string{"path": s.Path, "name": s.Name}
	}
	return m
}

// sessionRequest reads a POST/PATCH body, accepting the legacy
// {"notebook": {"path": …}} form.
func sessionRequest(r *http.Request) (session.Request, error) {
	b, err := readBody(r)
	if err != nil {
		return session.Request{}, err
	}
	if b == nil {
		return session.Request{}, errkind.New(errkind.Invalid, "No JSON data provided", nil)
	}
	var req session.Request
	for key, dst := range map[string]*string{"path": &req.Path, "name": &req.Name, "type": &req.Type} {
		if *dst, err = b.str(key); err != nil {
			return req, err
		}
	}
	if raw, ok := b["notebook"]; ok && string(raw) != "null" {
		var nb struct {
			Path string `json:"path"`
			Name string `json:"name"`
		}
		if err := json.Unmarshal(raw, &nb); err != nil {
			return req, errkind.New(errkind.Invalid, `"notebook" must be an object with a path`, err)
		}
		if req.Path == "" {
			req.Path = nb.Path
			if req.Path == "" {
				req.Path = nb.Name
			}
		}
		if req.Type == "" {
			req.Type = "notebook"
		}
	}
	if raw, ok := b["kernel"]; ok && string(raw) != "null" {
		var k struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}
		if err := json.Unmarshal(raw, &k); err != nil {
			return req, errkind.New(errkind.Invalid, `"kernel" must be an object with a name or an id`, err)
		}
		req.HasKernel, req.KernelID, req.KernelName = true, k.ID, k.Name
	}
	return req, nil
}

// writeSessionError answers an unknown kernelspec as Jupyter does (501
// with short_message), everything else as usual. The kernel manager marks
// an unknown kernelspec, alone among its Unavailable errors, with a reason
// ("<name> not found"); others ("server is shutting down") are not about
// installing anything.
func (a *API) writeSessionError(w http.ResponseWriter, r *http.Request, req session.Request, err error) {
	if msg, reason := errkind.Message(err); errkind.Of(err) == errkind.Unavailable && reason != "" {
		reply.WriteJSON(w, http.StatusNotImplemented, map[string]any{
			"message":       msg + ": the kernel '" + req.KernelName + "' is not available. Choose another kernel, or install it (see jupyter kernelspec list).",
			"short_message": reason,
		})
		return
	}
	reply.WriteError(w, r, a.d.Log, err)
}

func (a *API) listSessions(w http.ResponseWriter, r *http.Request) {
	list := a.d.Sessions.List()
	out := make([]map[string]any, 0, len(list))
	for _, s := range list {
		out = append(out, a.sessionModel(s))
	}
	reply.WriteJSON(w, http.StatusOK, out)
}

func (a *API) createSession(w http.ResponseWriter, r *http.Request) {
	req, err := sessionRequest(r)
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	s, err := a.d.Sessions.Create(r.Context(), req)
	if err != nil {
		a.writeSessionError(w, r, req, err)
		return
	}
	guard.SetLocation(w.Header(), a.d.BaseURL+"api/sessions/"+url.PathEscape(s.ID), a.d.BaseURL)
	reply.WriteJSON(w, http.StatusCreated, a.sessionModel(s))
}

func (a *API) getSession(w http.ResponseWriter, r *http.Request) {
	s, err := a.d.Sessions.Get(r.PathValue("id"))
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	reply.WriteJSON(w, http.StatusOK, a.sessionModel(s))
}

func (a *API) updateSession(w http.ResponseWriter, r *http.Request) {
	req, err := sessionRequest(r)
	if err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	s, err := a.d.Sessions.Update(r.Context(), r.PathValue("id"), req)
	if err != nil {
		a.writeSessionError(w, r, req, err)
		return
	}
	reply.WriteJSON(w, http.StatusOK, a.sessionModel(s))
}

func (a *API) deleteSession(w http.ResponseWriter, r *http.Request) {
	if err := a.d.Sessions.Delete(r.Context(), r.PathValue("id")); err != nil {
		reply.WriteError(w, r, a.d.Log, err)
		return
	}
	reply.WriteJSON(w, http.StatusNoContent, nil)
}
