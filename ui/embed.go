// Package ui holds the built web UI. go:embed cannot reach a parent
// directory, so the embedding lives here beside the Vite output and
// internal/webui serves it.
package ui

import "embed"

// Dist is the Vite output: dist/app/… when the UI was built, and always
// dist/README so that a Go build works without Node.
//
//go:embed all:dist
var Dist embed.FS
