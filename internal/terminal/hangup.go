package terminal

import (
	"os"
	"os/signal"
	"syscall"
)

// hangups receives the SIGHUPs restoreHangup asks for, and is never read.
var hangups = make(chan os.Signal, 1)

// restoreHangup makes the shells Quire starts take SIGHUP's default action
// (end) even when Quire itself was started with SIGHUP ignored, as nohup
// does. A signal ignored at exec stays ignored in the child, and a shell
// may not undo an ignore it inherited; every terminal's shell and its jobs
// would then outlive the hangup that ends a terminal, until the SIGKILL
// that follows ShutdownWait later. Notify installs the runtime's handler in
// place of the ignore, so children start with the default; the signals it
// relays to Quire are dropped, so Quire goes on ignoring them. Asked again,
// it changes nothing.
func restoreHangup() {
	if signal.Ignored(syscall.SIGHUP) {
		signal.Notify(hangups, syscall.SIGHUP)
	}
}
