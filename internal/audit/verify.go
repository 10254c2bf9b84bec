package audit

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Broken is the first place where the chain of the files Verify was given
// does not hold.
type Broken struct {
	File   string
	Line   int // 0: the file as a whole
	Reason string
}

func (b *Broken) Error() string {
	if b.Line == 0 {
		return b.File + ": " + b.Reason
	}
	return fmt.Sprintf("%s:%d: %s", b.File, b.Line, b.Reason)
}

// Summary is what Verify found in an intact chain.
type Summary struct {
	Files, Records int
	// Starts are the files whose first record begins a new chain
	// (prev ""): the log was new, so the link to the file before
	// them cannot be checked.
	Starts []string
	Last   string // hex hash of the last record
	// Midway is set when the first record of the first file links to a
	// record not given (an older file, or a deleted first line): its hex
	// hash.
	Midway string
}

// Verify checks the chain through files, oldest first: every record is a
// JSON object whose prev is the SHA-256 of the line before it, and the
// first record of each file names the last record of the file before. It
// returns a *Broken for the first record that breaks the chain (edited,
// removed, torn or truncated lines, a missing file).
func Verify(files []string) (Summary, error) {
	var sum Summary
	var prev string // hex hash of the last record read
	prevFile := ""
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return sum, &Broken{File: name, Reason: "missing"}
			}
			return sum, &Broken{File: name, Reason: err.Error()}
		}
		if sum.Files == 0 && sum.Midway == "" {
			sum.Midway = firstPrev(name)
		}
		n, last, starts, err := verifyFile(f, name, prev, prevFile)
		f.Close()
		sum.Records += n
		if err != nil {
			return sum, err
		}
		if starts {
			sum.Starts = append(sum.Starts, name)
		}
		if n > 0 {
			prev, prevFile = last, name
		}
		sum.Files++
	}
	sum.Last = prev
	return sum, nil
}

// firstPrev is the prev of the first record of the file at name ("" if
// none or unreadable).
func firstPrev(name string) string {
	f, err := os.Open(name)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := bufio.NewReaderSize(f, 64<<10).ReadBytes('\n')
	var rec struct {
		Prev string `json:"prev"`
	}
	_ = json.Unmarshal(b, &rec)
	return rec.Prev
}

func verifyFile(r io.Reader, name, prev, prevFile string) (n int, last string, starts bool, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	line := 0
	for {
		b, rerr := br.ReadBytes('\n')
		if len(b) == 0 && rerr == io.EOF {
			return n, prev, starts, nil
		}
		if rerr != nil && rerr != io.EOF {
			return n, prev, starts, &Broken{File: name, Line: line + 1, Reason: rerr.Error()}
		}
		line++
		if rerr == io.EOF {
			return n, prev, starts, &Broken{File: name, Line: line, Reason: "torn record: the file ends without a newline (truncated, or a write was cut short)"}
		}
		b = b[:len(b)-1]
		var rec struct {
			Prev  *string `json:"prev"`
			Event string  `json:"event"`
		}
		if jerr := json.Unmarshal(b, &rec); jerr != nil || rec.Prev == nil || !bytes.HasPrefix(b, []byte(`{"time":`)) {
			return n, prev, starts, &Broken{File: name, Line: line, Reason: "not an audit record (changed, or a torn write)"}
		}
		switch {
		case *rec.Prev == prev:
		case *rec.Prev == "" && line == 1:
			// A new log: nothing before it is known.
			starts = prev != ""
		case line == 1 && prev == "":
			// The first file given: what came before is not ours to check.
		case line == 1:
			return n, prev, starts, &Broken{File: name, Line: line,
				Reason: fmt.Sprintf("does not follow the last record of %s: a file, or records at the end of %s, are missing", prevFile, prevFile)}
		default:
			return n, prev, starts, &Broken{File: name, Line: line,
				Reason: fmt.Sprintf("prev does not match line %d: line %d was changed, or records between them were removed", line-1, line-1)}
		}
		h := sha256.Sum256(b)
		prev = hex.EncodeToString(h[:])
		n++
	}
}
