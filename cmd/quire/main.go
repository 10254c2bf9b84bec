// Command quire is a Jupyter-compatible notebook server.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"quire/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
