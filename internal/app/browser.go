package app

import (
	"bytes"
	"html/template"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"quire/internal/safefile"
)

var openPage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("open").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="1;url={{.}}">
<title>Opening Quire</title></head>
<body><p>Opening Quire. If nothing happens, <a href="{{.}}">click here</a>.</p></body></html>
`))
})

// openBrowser opens the server in a browser through a 0600 redirect file
// in the runtime dir, so the token never appears in a process's arguments.
func (s *server) openBrowser(info serverInfo) {
	if s.cfg.Sock != "" {
		return
	}
	target := info.URL
	if s.token != "" {
		target += "?token=" + url.QueryEscape(s.token)
	}
	path := filepath.Join(s.cfg.RuntimeDir, "quire-"+strconv.Itoa(info.PID)+"-open.html")
	var page bytes.Buffer
	err := openPage().Execute(&page, target)
	if err == nil {
		err = safefile.WriteFile(path, page.Bytes(), 0o600) // it holds the token
	}
	if err != nil {
		s.log.Info("not opening a browser", "reason", "cannot write the redirect file", "err", err)
		return
	}
	s.cleanup = append(s.cleanup, func() { _ = os.Remove(path) })

	argv := browserCommand(s.env.get("BROWSER"))
	if argv == nil {
		s.log.Info("no browser found (set BROWSER or install xdg-utils); open the URL printed above")
		return
	}
	cmd := exec.Command(argv[0], append(argv[1:], "file://"+path)...)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		s.log.Info("could not start a browser; open the URL printed above", "err", err)
		return
	}
	go func() { _ = cmd.Wait() }()
}

// browserCommand picks $BROWSER (first entry of a colon list) or xdg-open.
func browserCommand(env string) []string {
	if env != "" {
		first, _, _ := strings.Cut(env, ":")
		if f := strings.Fields(first); len(f) > 0 {
			return f
		}
	}
	for _, c := range []string{"xdg-open", "sensible-browser", "x-www-browser"} {
		if p, err := exec.LookPath(c); err == nil {
			return []string{p}
		}
	}
	return nil
}
