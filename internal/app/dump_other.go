//go:build !unix

package app

import (
	"fmt"
	"io"
)

// goroutineDumps needs SIGUSR1, which this platform lacks.
func goroutineDumps(path string, stderr io.Writer) (stop func()) {
	fmt.Fprintln(stderr, "quire: QUIRE_GOROUTINE_DUMP needs SIGUSR1 (unix only); ignored")
	return func() {}
}
