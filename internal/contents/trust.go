package contents

import (
	"context"
	"sync"
	"time"

	"quire/internal/nbformat"
)

// Which saves are signed (spec §6.5 as Quire refines it; issue #14 hole 6).
//
// Jupyter signs a saved notebook when every code cell carries
// metadata.trusted: true, or has no rich output. Those flags come from the
// client, so any notebook PUT (an upload, a script) can claim them and
// have hostile HTML or JavaScript signed on arrival. Quire ignores the
// flags: a notebook PUT is signed only when every rich output in it (an
// execute_result or display_data with anything beyond output_type,
// execution_count and metadata: the outputs nbformat's check_cells
// distrusts) is one the server itself can vouch for, that is, whose
// mimebundle and metadata Options.Outputs knows because
//
//   - one of this server's kernels produced it (iopub display_data,
//     execute_result, update_display_data, or an execute_reply "page"
//     payload), or
//   - it was in a notebook the notary found trusted when this server
//     loaded it (GET), or in the version on disk that the save replaces
//     (read before the save when this server has not read or written that
//     version itself), or in a notebook the user trusted explicitly.
//
// So re-saving a trusted notebook, editing it, running cells or pasting
// cells from another trusted notebook keeps it trusted; saving anything
// else with rich output writes it unsigned. Chunked uploads, copies and
// renames never sign (a copy of a signed notebook has the same content, so
// the same signature already vouches for it). POST …/trust still signs:
// it is the user's decision.

// signable reports whether a save may sign nb: every rich output in it is
// known to Options.Outputs. An output with keys the kernel messages
// clients build outputs from cannot carry (anything beyond data,
// metadata, output_type and execution_count) is never known.
func (s *Service) signable(nb *nbformat.Notebook) bool {
	return nb.RichOutputs(func(out map[string]any) bool {
		if s.opt.Outputs == nil {
			return false
		}
		for k := range out {
			switch k {
			case "output_type", "execution_count", "metadata", "data":
			default:
				return false
			}
		}
		return s.opt.Outputs.Known(out["data"], out["metadata"])
	})
}

// rememberOutputs records nb's rich outputs as ones the server may sign;
// the caller knows nb is trusted.
func (s *Service) rememberOutputs(nb *nbformat.Notebook) {
	if s.opt.Outputs == nil {
		return
	}
	nb.RichOutputs(func(out map[string]any) bool {
		s.opt.Outputs.Remember(out["data"], out["metadata"])
		return true
	})
}

// learnOnDisk reads the notebook at p, unless this server already read or
// wrote that version, and remembers its outputs if it is trusted: the
// version a save replaces vouches for the outputs the new one keeps (after
// a server restart, say, when no GET has shown it to this server). It
// reports whether it remembered any. A save calls it only when what it
// knows already does not let it sign the new content (size bytes of
// JSON), and it skips a file whose JSON is over 1 MiB longer than that,
// so that it never costs more memory than the save itself. Errors just
// mean nothing is learnt.
func (s *Service) learnOnDisk(ctx context.Context, p string, size int) bool {
	if s.notary == nil || s.opt.Outputs == nil {
		return false
	}
	info, err := s.store.Stat(ctx, p)
	if err != nil || info.Dir || s.examined.has(p, info) {
		return false
	}
	f, err := s.readNotebook(ctx, p, false, size+1<<20)
	if err != nil {
		return false
	}
	defer s.opt.Buffers.Put(f.data)
	nb, err := nbformat.ReadFor(f.data)
	s.examined.mark(p, f.info)
	if err != nil || !s.notary.Trusted(nb) {
		return false
	}
	s.rememberOutputs(nb)
	return true
}

// maxExamined bounds the examined set; past it the set starts over, which
// costs at most one more read of a notebook at its next save.
const maxExamined = 4096

// examined remembers, by path, the size and modification time of notebook
// versions whose trusted outputs were learnt (read by a GET or before a
// save) or that this server wrote, so that a save does not read the file
// it replaces again. A stale entry can only skip learning, never sign.
type examined struct {
	mu sync.Mutex
	m  map[string]stamp
}

type stamp struct {
	size int64
	mod  time.Time
}

func (e *examined) has(p string, info Info) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	st, ok := e.m[p]
	return ok && st.size == info.Size && st.mod.Equal(info.ModTime)
}

func (e *examined) mark(p string, info Info) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil || len(e.m) >= maxExamined {
		e.m = map[string]stamp{}
	}
	e.m[p] = stamp{info.Size, info.ModTime}
}
