package app

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"quire/internal/hub"
)

// runSingleuser runs `quire singleuser`: a server JupyterHub spawned, set
// up from the Hub's environment (JUPYTERHUB_*), signing users in only
// through the Hub. The command line beats the environment, as in
// jupyterhub-singleuser.
func runSingleuser(ctx context.Context, args []string, env envFunc, stdout, stderr io.Writer, opts ...serveOption) int {
	e, err := hub.LoadEnv(env)
	if err != nil {
		fmt.Fprintln(stderr, "quire:", err)
		return 1
	}
	rest, defaultURL, notes := hubArgs(args)
	if defaultURL != "" {
		e.DefaultURL = defaultURL
	}
	fromEnv := []string{
		"--ip=" + e.ListenIP(),
		"--port=" + strconv.Itoa(e.ListenPort),
		"--port-retries=0", // the Hub knows only this port
		"--base-url=" + e.Prefix,
		"--token=", // the Hub is the only sign-in
		"--no-browser",
		"--shutdown-wait=1s", // Kubernetes kills 1 s after SIGTERM
	}
	if e.RootDir != "" {
		fromEnv = append(fromEnv, "--root-dir="+e.RootDir)
	}
	if e.Debug {
		fromEnv = append(fromEnv, "--log-level=debug")
	}
	if e.DisableUserConfig || disableUserConfig(args) {
		fromEnv = append(fromEnv, "--no-user-config")
	}
	if e.InternalSSL() {
		// The key pair signed by the Hub's CA; tlsConfig adds the client
		// certificates it requires (JUPYTERHUB_SSL_CLIENT_CA).
		fromEnv = append(fromEnv, "--certfile="+e.SSLCertFile, "--keyfile="+e.SSLKeyFile)
	}
	opts = append(opts, func(s *server) {
		s.hubEnv = &e
		s.hubNotes = notes
	})
	return runServe(ctx, append(fromEnv, rest...), env, stdout, stderr, opts...)
}

// hubArgs translates the arguments a Hub configured for Jupyter passes
// (Spawner.args) into Quire's: --notebook-dir and --debug map onto ours;
// --allow-root, --disable-user-config, -y and --no-browser need nothing
// (Quire has no root refusal; --disable-user-config is read by
// disableUserConfig); a
// --X.default_url sets the landing page; other --Class.trait= options
// are dropped with a warning, so a cosmetic flag cannot fail a spawn.
// Unknown plain flags stay, for the flag parser to refuse loudly.
func hubArgs(args []string) (rest []string, defaultURL string, notes []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(rest, args[i:]...), defaultURL, notes
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		lname := strings.ToLower(name)
		switch {
		case !strings.HasPrefix(a, "-"):
			rest = append(rest, a)
		case lname == "allow-root" || lname == "disable-user-config" || lname == "y" || lname == "yes" || lname == "no-browser":
		case lname == "debug":
			rest = append(rest, "--log-level=debug")
		case lname == "notebook-dir" || lname == "root-dir":
			if !hasVal && i+1 < len(args) {
				i++
				val = args[i]
			}
			rest = append(rest, "--root-dir="+val)
		case strings.HasSuffix(lname, ".default_url"):
			if !hasVal && i+1 < len(args) {
				i++
				val = args[i]
			}
			defaultURL = val
		case strings.Contains(name, ".") && !knownTrait(lname):
			notes = append(notes, a)
		default:
			rest = append(rest, a)
		}
	}
	return rest, defaultURL, notes
}

// disableUserConfig reports --disable-user-config among the Hub's
// arguments (hubArgs drops it; the file is skipped by --no-user-config).
func disableUserConfig(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && strings.EqualFold(name, "disable-user-config") {
			return !hasVal || !slices.Contains([]string{"0", "false", "no", "off"}, strings.ToLower(val))
		}
	}
	return false
}

// knownTrait reports a --Class.trait option config maps onto a setting
// (ServerApp.port, NotebookApp.ip…).
func knownTrait(lname string) bool {
	_, trait, _ := strings.Cut(lname, ".")
	switch trait {
	case "ip", "port", "root_dir", "notebook_dir", "base_url":
		return true
	}
	return false
}

// hubStart asks the Hub for its version (five tries over about 46 s, as
// jupyterhub-singleuser does) and builds the Hub sign-in.
func (s *server) hubStart(ctx context.Context) error {
	for _, n := range s.hubNotes {
		s.log.Warn("ignored a Jupyter option Quire has no setting for", "option", n)
	}
	for _, n := range s.hubEnv.Notes {
		s.log.Warn("ignored a setting from the Hub", "setting", n)
	}
	hc, err := s.hubEnv.HTTPClient()
	if err != nil {
		return err
	}
	c := hub.NewClient(s.hubEnv.APIURL, s.hubEnv.APIToken, hc)
	sleeps := s.hubSleeps
	if sleeps == nil {
		sleeps = []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 16 * time.Second}
	}
	v, err := hub.WaitVersion(ctx, c, sleeps, s.log)
	if err != nil {
		return fmt.Errorf("hub mode: the Hub API at %s never answered: %w", s.hubEnv.APIURL, err)
	}
	s.hubClient, s.hubVersion = c, v
	s.log.Info("hub mode: JupyterHub runs this server", "hub_version", v, "user", s.hubEnv.User,
		"server", s.hubEnv.ServerName, "prefix", s.hubEnv.Prefix, "listen", s.hubEnv.ListenAddr())
	return nil
}
