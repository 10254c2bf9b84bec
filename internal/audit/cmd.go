package audit

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Main runs `quire audit verify FILE…` with args after "audit"; it returns
// the exit code: 0 for an intact chain, 1 for a broken one, 2 for usage.
func Main(args []string, stdout, stderr io.Writer) int {
	usage := func() {
		fmt.Fprintln(stderr, "usage: quire audit verify FILE… (oldest first, e.g. audit.log.2 audit.log.1 audit.log)")
	}
	if len(args) == 0 || args[0] != "verify" {
		usage()
		return 2
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = usage
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		usage()
		return 2
	}
	sum, err := Verify(fs.Args())
	if err != nil {
		fmt.Fprintln(stdout, "BROKEN:", err)
		return 1
	}
	if sum.Midway != "" {
		fmt.Fprintf(stdout, "note: the first record of %s follows one not given (hash %s): give the older files too; if there are none, records before it were removed\n", fs.Arg(0), sum.Midway)
	}
	for _, s := range sum.Starts {
		fmt.Fprintf(stdout, "note: %s begins a new chain (the log was started afresh): its link to the file before it cannot be checked\n", s)
	}
	fmt.Fprintf(stdout, "ok: %d records in %d files, chain intact; last hash %s\n", sum.Records, sum.Files, sum.Last)
	return 0
}
