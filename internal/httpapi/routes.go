package httpapi

import (
	"net/http"
	"strings"
)

// routes is the whole route table, one line per route. Everything it
// returns sits inside the guard and auth chain built by app.
func (a *API) routes() http.Handler {
	b := a.d.BaseURL
	mux := http.NewServeMux()

	// Public (the auth middleware's allow-list names the same routes).
	mux.HandleFunc("GET "+b+"api", a.version)
	mux.HandleFunc("GET /health", a.health)
	if a.d.Login != nil {
		mux.Handle(b+"login", a.d.Login)
	}
	if a.d.Logout != nil {
		mux.Handle(b+"logout", a.d.Logout)
	}

	// Server.
	mux.HandleFunc("GET "+b+"api/status", a.status)
	mux.HandleFunc("POST "+b+"api/shutdown", a.shutdown)
	mux.HandleFunc("GET "+b+"api/me", a.api(a.me))
	if a.d.Metrics != nil {
		mux.Handle("GET "+b+"metrics", a.d.Metrics) // Prometheus; not public
	}

	// Contents: the wildcard must be last, so the contents handler splits
	// off "/checkpoints[/<id>]" and "/trust" itself.
	mux.HandleFunc(b+"api/contents", a.api(a.contents))
	mux.HandleFunc(b+"api/contents/{path...}", a.api(a.contents))
	mux.HandleFunc(b+"api/notebooks/{path...}", a.notebooksRedirect)
	mux.HandleFunc("GET "+b+"files/{path...}", a.files)
	mux.HandleFunc("HEAD "+b+"files/{path...}", a.files)
	// Exports read notebooks as /files/ reads files, with its headers.
	mux.HandleFunc("GET "+b+"api/nbconvert", a.api(a.exportFormats))
	mux.HandleFunc("GET "+b+"nbconvert/{format}/{path...}", a.export)
	mux.HandleFunc("HEAD "+b+"nbconvert/{format}/{path...}", a.export)

	// Kernels, sessions, kernelspecs and the kernel WebSocket.
	if a.d.Kernels != nil {
		mux.HandleFunc("GET "+b+"api/kernels", a.api(a.listKernels))
		mux.HandleFunc("POST "+b+"api/kernels", a.api(a.startKernel))
		mux.HandleFunc("GET "+b+"api/kernels/{id}", a.api(a.getKernel))
		mux.HandleFunc("DELETE "+b+"api/kernels/{id}", a.api(a.deleteKernel))
		mux.HandleFunc("POST "+b+"api/kernels/{id}/interrupt", a.api(a.interruptKernel))
		mux.HandleFunc("POST "+b+"api/kernels/{id}/restart", a.api(a.restartKernel))
		mux.HandleFunc("GET "+b+"api/kernels/{id}/channels", a.channels)
		mux.HandleFunc("GET "+b+"api/sessions", a.api(a.listSessions))
		mux.HandleFunc("POST "+b+"api/sessions", a.api(a.createSession))
		mux.HandleFunc("GET "+b+"api/sessions/{id}", a.api(a.getSession))
		mux.HandleFunc("PATCH "+b+"api/sessions/{id}", a.api(a.updateSession))
		mux.HandleFunc("DELETE "+b+"api/sessions/{id}", a.api(a.deleteSession))
		mux.HandleFunc("GET "+b+"api/kernelspecs", a.api(a.listKernelSpecs))
		mux.HandleFunc("GET "+b+"api/kernelspecs/{name}", a.api(a.getKernelSpec))
		mux.HandleFunc("GET "+b+"kernelspecs/{name}/{file}", a.kernelSpecResource)
		mux.HandleFunc("HEAD "+b+"kernelspecs/{name}/{file}", a.kernelSpecResource)
	}

	// Terminals and their WebSocket, unless turned off (--terminals=false).
	if a.d.Terminals != nil {
		mux.HandleFunc("GET "+b+"api/terminals", a.api(a.listTerminals))
		mux.HandleFunc("POST "+b+"api/terminals", a.api(a.createTerminal))
		mux.HandleFunc("GET "+b+"api/terminals/{name}", a.api(a.getTerminal))
		mux.HandleFunc("DELETE "+b+"api/terminals/{name}", a.api(a.deleteTerminal))
		mux.HandleFunc("GET "+b+"terminals/websocket/{name}", a.terminalSocket)
	}

	// The web UI: one page for every view, and its public assets.
	root := a.root
	if ui := a.d.UI; ui != nil {
		root = ui.ServePage
		mux.HandleFunc("GET "+b+"static/app/{file...}", ui.ServeStatic)
		mux.HandleFunc("GET "+b+"favicon.ico", ui.ServeStatic)
		for _, view := range []string{"tree", "notebooks", "edit"} {
			mux.HandleFunc("GET "+b+view, ui.ServePage)
			mux.HandleFunc("GET "+b+view+"/{path...}", ui.ServePage)
		}
		if a.d.Terminals != nil {
			mux.HandleFunc("GET "+b+"terminals/{name}", ui.ServePage)
		}
	}

	// Every other API path is a JSON 404; pages get a plain 404.
	mux.HandleFunc(b+"api/", a.api(a.notFound))
	if b != "/" {
		mux.HandleFunc("GET "+strings.TrimSuffix(b, "/"), root)
	}
	mux.HandleFunc(b+"{$}", root)
	return a.canonical(mux)
}
