package auth_test

import (
	"fmt"
	"net/http"
	"os"

	"quire/internal/auth"
)

// The middleware wraps every route; login and logout are public routes the
// middleware lets through.
func Example() {
	dir, _ := os.MkdirTemp("", "quire-auth")
	defer os.RemoveAll(dir)
	a, err := auth.New(auth.Options{BaseURL: "/", Token: "a-long-random-token", DataDir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()

	mux := http.NewServeMux()
	mux.Handle("/login", a.Login())
	mux.Handle("/logout", a.Logout())
	mux.HandleFunc("/api/me", func(w http.ResponseWriter, r *http.Request) {
		id, _ := auth.FromContext(r.Context())
		fmt.Fprintln(w, id.Method)
	})
	srv := &http.Server{Handler: a.Middleware(mux)}
	_ = srv // srv.ListenAndServe() in app
	fmt.Println("ok")
	// Output: ok
}
