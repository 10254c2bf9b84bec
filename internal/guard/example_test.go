package guard_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"quire/internal/guard"
)

func ExampleSafeNext() {
	fmt.Println(guard.SafeNext("/quire/tree/a.ipynb?x=1#cell", "/quire/"))
	fmt.Println(guard.SafeNext("//evil.example/", "/quire/"))
	fmt.Println(guard.SafeNext("/quire/%2e%2e/admin", "/quire/"))
	// Output:
	// /quire/tree/a.ipynb?x=1
	// /quire/
	// /quire/
}

func ExampleRedirect() {
	rec := httptest.NewRecorder()
	// The decoded path of "/x/..%2F%5Cevil.com/" minus its trailing slash:
	// http.Redirect would clean it to "/\evil.com", which browsers read as
	// "//evil.com". guard.Redirect refuses it and sends the base instead.
	guard.Redirect(rec, http.StatusFound, "/x/../\\evil.com", "/")
	fmt.Println(rec.Code, rec.Header().Get("Location"))

	rec = httptest.NewRecorder()
	guard.Redirect(rec, http.StatusFound, "/quire/tree/My Notebook.ipynb?x=1", "/quire/")
	fmt.Println(rec.Code, rec.Header().Get("Location"))
	// Output:
	// 302 /
	// 302 /quire/tree/My%20Notebook.ipynb?x=1
}

func ExampleGuard_HostOrigin() {
	g, err := guard.New(guard.Options{BaseURL: "/", HostCheck: true})
	if err != nil {
		panic(err)
	}
	var h http.Handler = http.NotFoundHandler() // the mux, behind auth
	h = g.HostOrigin(h)
	h = g.Headers(h)

	req := httptest.NewRequest("GET", "/api/status", nil)
	req.Host = "attacker.example:8888" // a DNS-rebinding page
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// 403 {"message":"Host 'attacker.example:8888' is not allowed; start Quire with --allow-host attacker.example if you expect it","reason":null}
}
