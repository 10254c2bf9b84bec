// Package app is the one place that builds, runs and stops everything: it
// reads the configuration, wires the services into the HTTP chain and owns
// the server's lifetime. cmd/quire only turns Run's result into an exit code.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"quire/internal/audit"
	"quire/internal/hub"
)

// Version is Quire's own version.
const Version = "0.1.0"

// APIVersion is the Jupyter Server API level Quire speaks, reported by
// GET {base}api.
const APIVersion = "2.14.0"

// Run executes the quire command line and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, args, os.LookupEnv, os.Stdin, stdout, stderr)
}

// run executes the command line in args with the process's environment,
// standard streams and, for serve, the options opts (none in production).
func run(ctx context.Context, args []string, env envFunc, stdin io.Reader, stdout, stderr io.Writer, opts ...serveOption) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		if hub.Detected(env) {
			fmt.Fprintln(stderr, "quire: JupyterHub's variables (JUPYTERHUB_API_TOKEN, JUPYTERHUB_SERVICE_URL, JUPYTERHUB_CLIENT_ID) are set: running as the Hub's single-user server (quire singleuser)")
			return runSingleuser(ctx, args, env, stdout, stderr, opts...)
		}
		return runServe(ctx, args, env, stdout, stderr, opts...)
	case "singleuser":
		return runSingleuser(ctx, args, env, stdout, stderr, opts...)
	case "password":
		return runPassword(args, env, stdin, stdout, stderr)
	case "list":
		return runList(args, env, stdout, stderr)
	case "stop":
		return runStop(args, env, stdout, stderr)
	case "trust":
		return runTrust(args, env, stdout, stderr)
	case "doctor":
		return runDoctor(ctx, args, env, stdout, stderr)
	case "audit":
		return audit.Main(args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "quire", Version)
		return 0
	case "help":
		return runServe(ctx, []string{"--help"}, env, stdout, stderr, opts...)
	default:
		fmt.Fprintf(stderr, "quire: unknown command %q; commands: serve, singleuser, password, list, stop, trust, doctor, audit, version (quire --help)\n", cmd)
		return 2
	}
}

// exitCode maps a serve error to an exit status.
func exitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	}
	return 1
}
