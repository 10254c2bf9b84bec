package httpapi

import (
	"encoding/json"
	"net/http"

	"quire/internal/errkind"
	"quire/internal/reply"
)

// User is who a request acts for, in the shape of jupyter_server's User
// model; /api/me adds avatar_url and color, both null.
type User struct {
	Username    string `json:"username"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Initials    string `json:"initials"`
}

// me answers GET {base}api/me: {"identity": the user, "permissions": ...}.
// ?permissions={"contents": ["read", "write"]} asks which actions the user
// may take; Quire authorizes every authenticated user for everything (as
// jupyter_server's AllowAllAuthorizer), so each requested action is
// granted.
func (a *API) me(w http.ResponseWriter, r *http.Request) {
	var u User
	if a.d.Identity != nil {
		var ok bool
		if u, ok = a.d.Identity(r); !ok {
			reply.WriteError(w, r, a.d.Log, errkind.New(errkind.Unauthenticated, "Forbidden", nil))
			return
		}
	}
	perms := map[string][]string{}
	if q := r.URL.Query().Get("permissions"); q != "" {
		if err := json.Unmarshal([]byte(q), &perms); err != nil {
			reply.WriteError(w, r, a.d.Log, errkind.New(errkind.Invalid,
				`permissions should be a JSON dict of {"resource": ["action",]}`, err))
			return
		}
	}
	reply.WriteJSON(w, http.StatusOK, map[string]any{
		"identity": map[string]any{
			"username":     u.Username,
			"name":         u.Name,
			"display_name": u.DisplayName,
			"initials":     u.Initials,
			"avatar_url":   nil,
			"color":        nil,
		},
		"permissions": perms,
	})
}
