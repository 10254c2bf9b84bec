package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"os"

	"quire/internal/audit"
	"quire/internal/config"
	"quire/internal/nbformat"
	"quire/internal/trust"
)

// runTrust is `quire trust`, Jupyter's `jupyter trust`: sign notebooks so
// their rich output runs when opened, or forget every signature. It shares
// the secret and signature database with Jupyter and with running servers
// (SQLite locking keeps them consistent).
func runTrust(args []string, env envFunc, stdout, stderr io.Writer) int {
	fs := newFlagSet("quire trust", "Usage: quire trust [--trust-data-dir DIR] NOTEBOOK...\n       quire trust [--trust-data-dir DIR] --reset\n\nSigns notebooks so that their output (HTML, JavaScript) is trusted when\nthey are opened, or with --reset forgets every signature, as jupyter trust does.", stderr)
	reset := fs.Bool("reset", false, "forget every notebook signature and make a new signing key")
	dataDir := fs.String("trust-data-dir", "", "directory holding notebook_secret and nbsignatures.db (default: Jupyter's data dir)")
	auditPath := fs.String("audit-log", env.get("QUIRE_AUDIT_LOG"), "append trust.sign and trust.reset records to this audit log, as the server does (default: $QUIRE_AUDIT_LOG)")
	if code, done := fs.parse(args); done {
		return code
	}
	switch {
	case !*reset && fs.NArg() == 0:
		return fs.misuse(errors.New("which notebooks? give their paths, or --reset"))
	case *reset && fs.NArg() > 0:
		return fs.misuse(errors.New("give notebooks or --reset, not both"))
	}
	dir := *dataDir
	if dir == "" {
		dir = config.JupyterDataDir(env.get)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	n, err := trust.Open(trust.Options{DataDir: dir, Log: log})
	if err != nil {
		fmt.Fprintln(stderr, "quire trust:", err)
		return 1
	}
	defer n.Close()
	al, err := cliAudit(*auditPath, stdout, log)
	if err != nil {
		fmt.Fprintln(stderr, "quire trust:", err)
		return 1
	}
	defer al.Close()
	ctx := audit.WithRequest(context.Background(), &audit.Request{Client: "cli"})
	audit.SetUser(ctx, env.get("USER"))

	if *reset {
		fmt.Fprintf(stdout, "Forgetting all notebook signatures in %s\n", n.DatabasePath())
		fmt.Fprintf(stdout, "Generating new notebook key: %s\n", n.SecretPath())
		err := n.Reset()
		al.Record(ctx, audit.Event{Name: "trust.reset", Outcome: outcomeOf(err)})
		if err != nil {
			fmt.Fprintln(stderr, "quire trust:", err)
			return 1
		}
		return 0
	}
	code := 0
	for _, p := range fs.Args() {
		err := trustFile(n, p, stdout)
		al.Record(ctx, audit.Event{Name: "trust.sign", Outcome: outcomeOf(err), Fields: audit.F{"path": p}})
		if err != nil {
			if errors.Is(err, iofs.ErrNotExist) {
				fmt.Fprintf(stderr, "Notebook missing: %s\n", p)
			} else {
				fmt.Fprintf(stderr, "quire trust: %s: %v\n", p, err)
			}
			code = 1
		}
	}
	return code
}

// trustFile signs the notebook at p unless it is signed already.
func trustFile(n *trust.Notary, p string, stdout io.Writer) error {
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	nb, err := nbformat.Read(data)
	if err != nil {
		return err
	}
	if n.Trusted(nb) {
		fmt.Fprintf(stdout, "Notebook already signed: %s\n", p)
		return nil
	}
	fmt.Fprintf(stdout, "Signing notebook: %s\n", p)
	return n.Sign(nb)
}

// cliAudit opens the audit log for a command other than serve ("" or "-":
// none; standard output holds the command's own messages).
func cliAudit(path string, stdout io.Writer, log *slog.Logger) (*audit.Log, error) {
	if path == "" || path == "-" {
		return nil, nil
	}
	return audit.Open(audit.Options{Path: path, Stdout: stdout, Log: log})
}

func outcomeOf(err error) string {
	if err != nil {
		return audit.Error
	}
	return audit.OK
}
