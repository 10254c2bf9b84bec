// Package ui holds the built web UI. go:embed cannot reach a parent
// directory, so the embedding lives here beside the Vite output and
// internal/webui serves it.
package ui

import (
	"embed"
	"io/fs"
)

// dist is the Vite output: dist/app/… when the UI was built, and always
// dist/README so that a Go build works without Node.
//
//go:embed all:dist
var dist embed.FS

// Dist returns the build directory: app/index.html and the rest of the
// Vite output when the UI was built, otherwise only README.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // "dist" is a valid path: cannot happen
	}
	return sub
}
