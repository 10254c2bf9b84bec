package doctor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"quire/internal/kernelspec"
)

// warnings collects what kernelspec.Load logs about specs it skips, so
// that each becomes a finding.
type warnings struct {
	mu   sync.Mutex
	recs []string
}

func (w *warnings) Enabled(context.Context, slog.Level) bool { return true }
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler       { return w }
func (w *warnings) WithGroup(string) slog.Handler            { return w }
func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool {
		msg += "; " + a.Key + ": " + a.Value.String()
		return true
	})
	w.mu.Lock()
	w.recs = append(w.recs, msg)
	w.mu.Unlock()
	return nil
}

func kernelFindings(s Setup) []Finding {
	var out []Finding
	logged := &warnings{}
	specs := kernelspec.Load(s.KernelSpecDirs, slog.New(logged))
	for _, w := range logged.recs {
		out = append(out, Finding{ID: "kernels.broken", Level: Error, Title: "a kernelspec is skipped", Detail: w,
			Fix: "Fix or remove that kernel.json (jupyter kernelspec list / jupyter kernelspec remove NAME)."})
	}
	list := specs.List()
	if len(list) == 0 {
		out = append(out, Finding{ID: "kernels.none", Level: Warn, Title: "no kernelspecs found: notebooks cannot run code",
			Detail: "Searched: " + strings.Join(s.KernelSpecDirs, ", "),
			Fix:    "Install a kernel, e.g. on Debian: apt install python3-ipykernel; or python3 -m pip install --user ipykernel && python3 -m ipykernel install --user"})
	}
	for _, sp := range list {
		out = append(out, specFinding(sp))
	}
	switch {
	case s.TransportErr != nil:
		out = append(out, Finding{ID: "kernels.transport", Level: Error, Title: "kernel transport ipc cannot work with this runtime dir",
			Detail: s.TransportErr.Error(), Fix: "Use a shorter --runtime-dir (e.g. /run/user/$(id -u)/quire), or --kernel-transport tcp."})
	case s.KernelTransport == "ipc":
		out = append(out, Finding{ID: "kernels.transport", Level: OK, Title: "kernels use ipc: Unix sockets in the runtime dir, reachable by you only"})
	default:
		out = append(out, Finding{ID: "kernels.transport", Level: OK, Title: "kernels use tcp on 127.0.0.1: every local user can connect (messages stay signed); --kernel-transport ipc keeps them to you"})
	}
	return out
}

// specFinding checks that a kernelspec's program exists and may be run,
// without running it.
func specFinding(sp *kernelspec.Spec) Finding {
	id := "kernels.spec:" + sp.Name
	prog := strings.ReplaceAll(sp.Argv[0], "{resource_dir}", sp.Dir)
	where := filepath.Join(sp.Dir, "kernel.json")
	path, err := exec.LookPath(prog)
	if err != nil {
		why := "is not found"
		if strings.Contains(prog, "/") {
			if fi, serr := os.Stat(prog); serr == nil {
				why = fmt.Sprintf("is not executable (mode %04o)", fi.Mode().Perm())
				if fi.IsDir() {
					why = "is a directory"
				}
			}
		} else {
			why += " on PATH (" + os.Getenv("PATH") + ")"
		}
		return Finding{ID: id, Level: Error,
			Title:  fmt.Sprintf("kernel %s: program %s %s", sp.Name, prog, why),
			Detail: "Starting this kernel fails (" + where + ", argv " + strings.Join(sp.Argv, " ") + ").",
			Fix:    "Point argv[0] of " + where + " at an installed interpreter (an absolute path is safest), reinstall the kernel (python3 -m ipykernel install --user), or remove it: jupyter kernelspec remove " + sp.Name}
	}
	hasConn := false
	for _, a := range sp.Argv {
		hasConn = hasConn || strings.Contains(a, "{connection_file}")
	}
	if !hasConn {
		return Finding{ID: id, Level: Error,
			Title:  "kernel " + sp.Name + ": argv has no {connection_file}",
			Detail: "The kernel cannot learn its ports and key, so it never answers (" + where + ").",
			Fix:    "Add \"-f\", \"{connection_file}\" (ipykernel) or your kernel's equivalent to argv in " + where + "."}
	}
	return Finding{ID: id, Level: OK, Title: fmt.Sprintf("kernel %s (%s): %s", sp.Name, sp.DisplayName, path)}
}

func trashFindings(s Setup) []Finding {
	if !s.DeleteToTrash {
		return []Finding{{ID: "trash", Level: OK, Title: "deleting removes files at once (--delete-to-trash=false)"}}
	}
	if s.TrashCan == nil {
		return nil
	}
	can, _, err := s.TrashCan(s.RootDir)
	if err != nil {
		return []Finding{{ID: "trash", Level: Error, Title: "no trash can: deleting files fails", Detail: err.Error(),
			Fix: "Set HOME (or XDG_DATA_HOME), or delete for good: --delete-to-trash=false"}}
	}
	// The can is made on first use: the nearest existing directory on its
	// path must let us create it, and it must be on the root's file system
	// (a move is a rename).
	p := can
	for {
		fi, err := os.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				return []Finding{{ID: "trash", Level: Error, Title: "trash can " + can + " is blocked by a file: " + p,
					Fix: "Remove " + shellQuote(p) + ", or delete for good: --delete-to-trash=false"}}
			}
			break
		}
		up := filepath.Dir(p)
		if up == p {
			break
		}
		p = up
	}
	if err := syscall.Access(p, 0o2|0o1); err != nil { // W_OK|X_OK
		what := "cannot be created"
		if p == can {
			what = "is not writable"
		}
		return []Finding{{ID: "trash", Level: Error, Title: "trash can " + can + " " + what + ": deleting files fails",
			Detail: p + ": " + err.Error(),
			Fix:    "mkdir -p " + shellQuote(can) + " && chmod 700 " + shellQuote(can) + " (as a user allowed to), or delete for good: --delete-to-trash=false"}}
	}
	if a, b, ok := devices(p, s.RootDir); ok && a != b {
		return []Finding{{ID: "trash", Level: Error, Title: "trash can " + can + " is on another file system than the root dir",
			Detail: "Deleting moves a file into the trash by renaming it, which cannot cross file systems.",
			Fix:    "Delete for good: --delete-to-trash=false, or serve a directory on the trash's file system."}}
	}
	return []Finding{{ID: "trash", Level: OK, Title: "deleted files go to " + can}}
}

func devices(a, b string) (uint64, uint64, bool) {
	var sa, sb syscall.Stat_t
	if syscall.Stat(a, &sa) != nil || syscall.Stat(b, &sb) != nil {
		return 0, 0, false
	}
	return uint64(sa.Dev), uint64(sb.Dev), true //nolint:unconvert // int32 on some platforms
}

// Free space thresholds for the root dir's file system.
const (
	diskError = 100 << 20
	diskWarn  = 1 << 30
)

func diskFindings(root string) []Finding {
	var st syscall.Statfs_t
	if err := syscall.Statfs(root, &st); err != nil {
		return []Finding{{ID: "disk.free", Level: Warn, Title: "cannot tell the free space of " + root, Detail: err.Error()}}
	}
	free := int64(st.Bavail) * int64(st.Bsize)  //nolint:unconvert // types differ by platform
	total := int64(st.Blocks) * int64(st.Bsize) //nolint:unconvert // types differ by platform
	pct := 0.0
	if total > 0 {
		pct = 100 * float64(free) / float64(total)
	}
	title := fmt.Sprintf("%s free on the root dir's file system (%.0f%%)", bytesText(free), pct)
	fix := "Free space on the file system holding " + root + " (empty the trash: ~/.local/share/Trash), or serve a directory on a larger one."
	switch {
	case free < diskError:
		return []Finding{{ID: "disk.free", Level: Error, Title: "only " + title, Detail: "Saving a notebook writes a new copy before replacing the old one; saves fail when it does not fit.", Fix: fix}}
	case free < diskWarn:
		return []Finding{{ID: "disk.free", Level: Warn, Title: "only " + title, Detail: "Large notebooks may fail to save.", Fix: fix}}
	}
	return []Finding{{ID: "disk.free", Level: OK, Title: title}}
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

func serverFindings(ctx context.Context, s Setup) []Finding {
	var out []Finding
	holder := false
	for _, srv := range s.Servers {
		if s.Probe != nil {
			pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			err := s.Probe(pctx, srv)
			cancel()
			if err != nil {
				out = append(out, Finding{ID: "server.running:" + strconv.Itoa(srv.PID), Level: Warn,
					Title:  fmt.Sprintf("Quire server pid %d at %s does not answer", srv.PID, srv.URL),
					Detail: err.Error(),
					Fix:    fmt.Sprintf("If it hangs, stop it: quire stop %s (or kill %d), then start it again.", stopArg(srv), srv.PID)})
				continue
			}
		}
		out = append(out, Finding{ID: "server.running:" + strconv.Itoa(srv.PID), Level: OK,
			Title: fmt.Sprintf("Quire server pid %d is running at %s", srv.PID, srv.URL)})
		if (s.Sock != "" && srv.Sock == s.Sock) || (s.Sock == "" && srv.Sock == "" && srv.Port == s.Port) {
			holder = true
		}
	}
	if len(s.Servers) == 0 {
		out = append(out, Finding{ID: "server.running", Level: OK, Title: "no Quire server running (per the runtime dir)"})
	}
	if s.Sock != "" || s.Port == 0 || holder {
		return out
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(listenHost(s), strconv.Itoa(s.Port)))
	if err == nil {
		ln.Close()
		return append(out, Finding{ID: "server.port", Level: OK, Title: fmt.Sprintf("port %d is free", s.Port)})
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		f := Finding{ID: "server.port", Level: Warn, Title: fmt.Sprintf("port %d is taken by another program", s.Port),
			Detail: "quire serve would fail to listen (a Jupyter server, or a Quire server whose runtime dir is another?).",
			Fix:    "Find it: ss -ltnp 'sport = :" + strconv.Itoa(s.Port) + "'; stop it, or choose --port N (or --port-retries N)."}
		if s.PortRetries > 0 {
			f.Level = OK
			f.Title += fmt.Sprintf(" (quire serve tries the next %d)", s.PortRetries)
			f.Detail, f.Fix = "", ""
		}
		return append(out, f)
	}
	return append(out, Finding{ID: "server.port", Level: Warn, Title: fmt.Sprintf("cannot listen on port %d", s.Port), Detail: err.Error()})
}

func listenHost(s Setup) string {
	if s.Wildcard {
		return ""
	}
	return strings.Trim(s.IP, "[]")
}

func stopArg(s Server) string {
	if s.Sock != "" {
		return "--sock " + shellQuote(s.Sock)
	}
	return strconv.Itoa(s.Port)
}
