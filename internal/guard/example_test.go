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
