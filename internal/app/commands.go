package app

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"quire/internal/auth"
	"quire/internal/config"
	"quire/internal/safefile"
)

// envFunc looks an environment variable up (os.LookupEnv in production).
type envFunc func(string) (string, bool)

func (e envFunc) get(k string) string {
	v, _ := e(k)
	return v
}

func runtimeDirFor(env envFunc) string { return config.RuntimeDir(env.get) }

// command is a subcommand's flag set and its help text. --help prints the
// intro and the options written --name, as quire --help does; a mistake
// prints one line: the error and where help is.
type command struct {
	*flag.FlagSet
	intro  string
	stderr io.Writer
}

func newFlagSet(name, intro string, stderr io.Writer) *command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // help and errors are printed by parse
	return &command{FlagSet: fs, intro: intro, stderr: stderr}
}

func (c *command) help() {
	fmt.Fprintln(c.stderr, c.intro)
	fmt.Fprintln(c.stderr, "\nOptions:")
	c.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintf(c.stderr, "%s\n        %s", line, usage)
		if f.DefValue != "" && f.DefValue != "false" {
			fmt.Fprintf(c.stderr, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(c.stderr)
	})
}

// misuse reports a wrong command line and returns its exit code, 2.
func (c *command) misuse(err error) int {
	fmt.Fprintf(c.stderr, "%s: %v\n", c.Name(), config.FlagError(err, c.Name()+" --help"))
	return 2
}

// parse parses args; done is true when the command should exit with code
// (help shown, or a usage error).
func (c *command) parse(args []string) (code int, done bool) {
	if err := c.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.help()
			return 0, true
		}
		return c.misuse(err), true
	}
	return 0, false
}

func runStop(args []string, env envFunc, stdout, stderr io.Writer) int {
	fs := newFlagSet("quire stop", "Usage: quire stop PORT | --sock PATH\n\nStops a running Quire server gracefully (SIGTERM: in-flight requests finish).", stderr)
	sock := fs.String("sock", "", "stop the server listening on this Unix socket")
	runtimeDir := fs.String("runtime-dir", "", "runtime directory (default: $JUPYTER_RUNTIME_DIR or <Jupyter data dir>/runtime)")
	wait := fs.Duration("wait", 30*time.Second, "how long to wait for the server to finish")
	// Allow "quire stop 8888 --wait 5s" as well as flags first.
	var port string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		port, args = args[0], args[1:]
	}
	if code, done := fs.parse(args); done {
		return code
	}
	if port == "" && fs.NArg() > 0 {
		port = fs.Arg(0)
	}
	switch {
	case port == "" && *sock == "":
		return fs.misuse(errors.New("which server? give its PORT or --sock PATH"))
	case port != "" && *sock != "":
		return fs.misuse(errors.New("give a PORT or --sock PATH, not both"))
	}
	dir := *runtimeDir
	if dir == "" {
		dir = runtimeDirFor(env)
	}
	servers, err := runningServers(dir)
	if err != nil {
		fmt.Fprintln(stderr, "quire stop:", err)
		return 1
	}
	var target *serverInfo
	for i, s := range servers {
		if (*sock != "" && sameFile(s.Sock, *sock)) || (port != "" && s.Sock == "" && strconv.Itoa(s.Port) == port) {
			target = &servers[i]
			break
		}
	}
	if target == nil {
		what := "port " + port
		if *sock != "" {
			what = "socket " + *sock
		}
		fmt.Fprintf(stderr, "quire stop: no running Quire server on %s (see quire list)\n", what)
		return 1
	}
	if err := syscall.Kill(target.PID, syscall.SIGTERM); err != nil {
		fmt.Fprintf(stderr, "quire stop: signal pid %d: %v\n", target.PID, err)
		return 1
	}
	deadline := time.Now().Add(*wait)
	for processAlive(target.PID) {
		if time.Now().After(deadline) {
			fmt.Fprintf(stderr, "quire stop: pid %d is still running after %s\n", target.PID, *wait)
			return 1
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Fprintf(stdout, "Stopped the Quire server at %s (pid %d).\n", target.URL, target.PID)
	return 0
}

func sameFile(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if a == b {
		return true
	}
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

func runPassword(args []string, env envFunc, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("quire password", "Usage: quire password [--write] [--config FILE]\n\nAsks for a password twice (without echo) and prints its hash in Jupyter's\nformat (argon2:...), usable as --password-hash or in Jupyter's config.", stderr)
	write := fs.Bool("write", false, "store the hash in the config file instead of printing it")
	cfgPath := fs.String("config", "", "config file to write (default: $QUIRE_CONFIG or ~/.config/quire/config.json)")
	if code, done := fs.parse(args); done {
		return code
	}
	pw, err := readNewPassword(stdin, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "quire password:", err)
		return 1
	}
	hash, err := auth.HashPassword(pw)
	if err != nil {
		fmt.Fprintln(stderr, "quire password:", err)
		return 1
	}
	if !*write {
		fmt.Fprintln(stdout, hash)
		return 0
	}
	path := *cfgPath
	if path == "" {
		path = env.get("QUIRE_CONFIG")
	}
	if path == "" {
		path = config.DefaultConfigFile(env.get)
	}
	if path == "" {
		fmt.Fprintln(stderr, "quire password: no home directory; give --config FILE")
		return 1
	}
	if err := storePasswordHash(path, hash); err != nil {
		fmt.Fprintln(stderr, "quire password:", err)
		return 1
	}
	fmt.Fprintf(stdout, "Wrote the password hash to %s. Restart Quire to use it; existing browser sessions end then.\n", path)
	return 0
}

// readNewPassword asks twice without echo on a terminal; from a pipe it
// reads two lines.
func readNewPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	var first, second string
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Enter password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(stderr, "Verify password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		first, second = string(a), string(b)
	} else {
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 4096), 1<<20)
		if sc.Scan() {
			first = strings.TrimRight(sc.Text(), "\r")
		}
		if sc.Scan() {
			second = strings.TrimRight(sc.Text(), "\r")
		} else {
			second = first
		}
		if err := sc.Err(); err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
	}
	if first == "" {
		return "", errors.New("the password is empty")
	}
	if first != second {
		return "", errors.New("the passwords do not match")
	}
	return first, nil
}

// storePasswordHash sets "password_hash" in the JSON config file at path,
// keeping its other settings, written atomically with mode 0600.
func storePasswordHash(path, hash string) error {
	settings := map[string]any{}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &settings); err != nil {
			return fmt.Errorf("config file %s is not a JSON object: %w", path, err)
		}
	case errors.Is(err, os.ErrNotExist):
	default:
		return fmt.Errorf("read config file: %w", err)
	}
	// Drop Jupyter-style spellings of the same setting so the new hash wins.
	for k := range settings {
		switch strings.ToLower(strings.ReplaceAll(k, "-", "_")) {
		case "password_hash", "serverapp.password", "identityprovider.hashed_password":
			delete(settings, k)
		}
	}
	settings["password_hash"] = hash
	out, err := json.MarshalIndent(settings, "", "  ")
	if err != nil {
		return err
	}
	if err := safefile.MkdirAll(filepath.Dir(path)); err != nil {
		return fmt.Errorf("config dir: %w", err)
	}
	if err := safefile.WriteFile(path, append(out, '\n'), 0o600); err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	return nil
}
