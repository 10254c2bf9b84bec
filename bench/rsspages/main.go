// Command rsspages says which parts of a running Go program's binary are
// resident: for each process given, it reads which pages of the mappings
// of its executable are present (/proc/PID/pagemap) and charges each page
// to the symbols in it (the ELF symbol table), by package, and to ELF
// sections. With two processes it prints both and the difference, which is
// how bench/RESULTS.md's issue #21 section finds what the metrics code
// costs in file-backed RSS (run it as root: pagemap needs CAP_SYS_ADMIN
// for frame numbers, not for the present bit it reads, but reading another
// process's maps needs ptrace access).
//
//	go run ./bench/rsspages [-top 30] PID [PID2]
package main

import (
	"bufio"
	"debug/elf"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)

func main() {
	top := flag.Int("top", 30, "rows to print, largest difference (or size) first")
	flag.Parse()
	if flag.NArg() < 1 || flag.NArg() > 2 {
		fmt.Fprintln(os.Stderr, "usage: rsspages [-top N] PID [PID2]")
		os.Exit(2)
	}
	var all []*resident
	for _, a := range flag.Args() {
		pid, err := strconv.Atoi(a)
		if err != nil || pid <= 0 {
			fmt.Fprintf(os.Stderr, "rsspages: %q is not a process id\n", a)
			os.Exit(2)
		}
		r, err := measure(pid)
		if err != nil {
			fmt.Fprintln(os.Stderr, "rsspages:", err)
			os.Exit(1)
		}
		all = append(all, r)
	}
	report(os.Stdout, all, *top)
}

// resident is what one process has resident of its executable, in bytes,
// by section and by package.
type resident struct {
	pid       int
	exe       string
	pages     int
	sections  map[string]float64
	packages  map[string]float64
	unmatched float64 // resident bytes in a mapping but no section
}

type symbol struct {
	start, end uint64
	pkg        string
}

// measure reads pid's executable mappings, their present pages and the
// executable's symbols.
func measure(pid int) (*resident, error) {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return nil, err
	}
	f, err := elf.Open(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", exe, err)
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC {
		return nil, fmt.Errorf("%s: not a fixed-address executable (a PIE would need its load bias)", exe)
	}
	syms, err := f.Symbols()
	if err != nil {
		return nil, fmt.Errorf("%s: symbols: %w", exe, err)
	}
	var table []symbol
	for _, s := range syms {
		if s.Size == 0 || s.Section == elf.SHN_UNDEF {
			continue
		}
		table = append(table, symbol{start: s.Value, end: s.Value + s.Size, pkg: packageOf(s.Name)})
	}
	table = append(table, pclntabParts(f)...)
	slices.SortFunc(table, func(a, b symbol) int {
		if a.start < b.start {
			return -1
		}
		if a.start > b.start {
			return 1
		}
		return 0
	})

	ranges, err := exeMappings(pid, exe)
	if err != nil {
		return nil, err
	}
	pm, err := os.Open(fmt.Sprintf("/proc/%d/pagemap", pid))
	if err != nil {
		return nil, err
	}
	defer pm.Close()
	r := &resident{pid: pid, exe: exe, sections: map[string]float64{}, packages: map[string]float64{}}
	page := uint64(os.Getpagesize())
	for _, rg := range ranges {
		n := (rg[1] - rg[0]) / page
		buf := make([]byte, 8*n)
		if _, err := pm.ReadAt(buf, int64(rg[0]/page*8)); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("pagemap: %w", err)
		}
		for i := range n {
			if binary.LittleEndian.Uint64(buf[8*i:])&(1<<63) == 0 {
				continue // not present
			}
			r.pages++
			lo := rg[0] + i*page
			r.charge(f, table, lo, lo+page)
		}
	}
	return r, nil
}

// charge splits the page [lo, hi) between the sections and the symbols it
// overlaps; bytes under no symbol go to "(section name)".
func (r *resident) charge(f *elf.File, table []symbol, lo, hi uint64) {
	inSection := 0.0
	for _, s := range f.Sections {
		if s.Addr == 0 || s.Size == 0 {
			continue
		}
		if o := overlap(lo, hi, s.Addr, s.Addr+s.Size); o > 0 {
			r.sections[s.Name] += o
			inSection += o
		}
	}
	r.unmatched += float64(hi-lo) - inSection
	covered := 0.0
	i := sort.Search(len(table), func(i int) bool { return table[i].end > lo })
	for ; i < len(table) && table[i].start < hi; i++ {
		if o := overlap(lo, hi, table[i].start, table[i].end); o > 0 {
			r.packages[table[i].pkg] += o
			covered += o
		}
	}
	if rest := inSection - covered; rest > 0 {
		name := "(no symbol)"
		for _, s := range f.Sections {
			if s.Addr <= lo && lo < s.Addr+s.Size {
				name = "(no symbol: " + s.Name + ")"
			}
		}
		r.packages[name] += rest
	}
}

// pclntabParts splits .gopclntab, which has no symbols of its own, into
// the tables its header (runtime.pcHeader, Go 1.20 on) locates: function
// names, compilation units, file names, pc-value tables (stack maps, line
// numbers) and the function table (the entries findfunc searches and each
// function's _func). Nil if the header is not one it knows.
func pclntabParts(f *elf.File) []symbol {
	sec := f.Section(".gopclntab")
	if sec == nil {
		return nil
	}
	hdr := make([]byte, 8+8*8)
	if _, err := sec.ReadAt(hdr, 0); err != nil {
		return nil
	}
	if magic := binary.LittleEndian.Uint32(hdr); magic != 0xfffffff1 || hdr[7] != 8 {
		return nil // not Go 1.20+'s layout on a 64-bit target
	}
	off := func(i int) uint64 { return binary.LittleEndian.Uint64(hdr[8+8*i:]) }
	// After magic, pads, minLC, ptrSize: nfunc, nfiles, textStart, then
	// the offsets of the five tables, in this order in the section.
	names := []string{"funcnametab", "cutab", "filetab", "pctab", "functab"}
	var out []symbol
	for i, n := range names {
		lo := off(3 + i)
		hi := sec.Size
		if i+1 < len(names) {
			hi = off(3 + i + 1)
		}
		if lo > hi || hi > sec.Size {
			return nil
		}
		out = append(out, symbol{start: sec.Addr + lo, end: sec.Addr + hi, pkg: ".gopclntab " + n})
	}
	return out
}

func overlap(a0, a1, b0, b1 uint64) float64 {
	lo, hi := max(a0, b0), min(a1, b1)
	if hi <= lo {
		return 0
	}
	return float64(hi - lo)
}

// exeMappings lists the address ranges of pid's mappings of exe.
func exeMappings(pid int, exe string) ([][2]uint64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][2]uint64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 6 || fs[5] != exe {
			continue
		}
		a, b, ok := strings.Cut(fs[0], "-")
		lo, err1 := strconv.ParseUint(a, 16, 64)
		hi, err2 := strconv.ParseUint(b, 16, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("maps line %q", sc.Text())
		}
		out = append(out, [2]uint64{lo, hi})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("process %d maps nothing of %s", pid, exe)
	}
	return out, sc.Err()
}

// packageOf names the package a Go symbol belongs to: the import path
// before the first dot after the last slash ("net/http.(*conn).serve" →
// "net/http"); type descriptors, itabs and the like keep their prefix
// ("type:", "go:itab").
func packageOf(name string) string {
	for _, p := range []string{"type:", "go:itab", "go:string", "go:func", "go:cuinfo", "runtime.types", "go:"} {
		if strings.HasPrefix(name, p) {
			return p
		}
	}
	slash := strings.LastIndexByte(name, '/')
	if i := strings.IndexByte(name[slash+1:], '.'); i >= 0 {
		return name[:slash+1+i]
	}
	return name
}

func report(w io.Writer, all []*resident, top int) {
	kib := func(b float64) string { return strconv.FormatFloat(b/1024, 'f', 1, 64) }
	for _, r := range all {
		fmt.Fprintf(w, "pid %d (%s): %d pages of the executable resident, %s KiB\n", r.pid, r.exe, r.pages, kib(float64(r.pages*os.Getpagesize())))
	}
	for _, part := range []struct {
		title string
		get   func(*resident) map[string]float64
	}{{"section", func(r *resident) map[string]float64 { return r.sections }},
		{"package", func(r *resident) map[string]float64 { return r.packages }}} {
		keys := map[string]bool{}
		for _, r := range all {
			for k := range part.get(r) {
				keys[k] = true
			}
		}
		type row struct {
			key  string
			vals []float64
			sort float64
		}
		var rows []row
		for k := range keys {
			rw := row{key: k}
			for _, r := range all {
				rw.vals = append(rw.vals, part.get(r)[k])
			}
			rw.sort = rw.vals[0]
			if len(rw.vals) == 2 {
				rw.sort = rw.vals[1] - rw.vals[0]
				if rw.sort < 0 {
					rw.sort = -rw.sort
				}
			}
			rows = append(rows, rw)
		}
		slices.SortFunc(rows, func(a, b row) int {
			if a.sort != b.sort {
				if a.sort > b.sort {
					return -1
				}
				return 1
			}
			return strings.Compare(a.key, b.key)
		})
		fmt.Fprintf(w, "\nKiB resident by %s", part.title)
		if len(all) == 2 {
			fmt.Fprint(w, " (first, second, second − first; largest difference first)")
		}
		fmt.Fprintln(w)
		for i, rw := range rows {
			if part.title == "package" && i >= top {
				break
			}
			fmt.Fprintf(w, "  %-60s", rw.key)
			for _, v := range rw.vals {
				fmt.Fprintf(w, " %9s", kib(v))
			}
			if len(rw.vals) == 2 {
				fmt.Fprintf(w, " %+9.1f", (rw.vals[1]-rw.vals[0])/1024)
			}
			fmt.Fprintln(w)
		}
	}
}
