package trust

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"quire/internal/nbformat"
)

// Algorithm is the digest nbformat's NotebookNotary uses by default and the
// only one Quire signs with; it is stored beside each signature.
const Algorithm = "sha256"

// Signature returns nb's signature: the lowercase hex HMAC-SHA256, keyed
// with the secret file's bytes, of the byte stream nbformat's
// yield_everything produces for the notebook (spec §6.3): every object's
// keys in sorted order, each key's UTF-8 followed by its value's stream,
// list elements in order, strings as UTF-8 and every other value as
// Python's str() of it (True, None, 100000.0, 1e-05, inf, exact integers).
//
// The top-level metadata.signature is left out, as nbformat does, and so
// is every cell's metadata.trusted: nbformat strips those flags before it
// signs or checks a notebook it has read or been sent, so leaving them out
// here gives the digest nbformat computes for the notebook as written.
//
// An error means Python could not have hashed the notebook either (a lone
// surrogate, which str.encode refuses) or the notebook holds a value that
// is not JSON.
func (n *Notary) Signature(nb *nbformat.Notebook) (string, error) {
	return signature(n.secret(), nb)
}

func signature(key []byte, nb *nbformat.Notebook) (string, error) {
	if nb == nil || nb.Doc == nil {
		return "", fmt.Errorf("trust: signature of a nil notebook")
	}
	w := streamer{h: hmac.New(sha256.New, key), buf: make([]byte, 0, bufSize)}
	var err error
	if nb.CellsApart() {
		err = w.top(nb)
	} else {
		err = w.value(nb.Doc, levelTop)
	}
	if err != nil {
		return "", err
	}
	w.flush()
	return hex.EncodeToString(w.h.Sum(nil)), nil
}

// level says where in the notebook a value sits, for the two keys the
// signature leaves out.
type level uint8

const (
	levelAny      level = iota
	levelTop            // the notebook object
	levelTopMeta        // its metadata: no "signature"
	levelCells          // its cells list
	levelCell           // one cell
	levelCellMeta       // a cell's metadata: no "trusted"
)

// bufSize batches the many small writes (keys, short strings) that would
// otherwise each pay HMAC's per-call cost.
const bufSize = 32 << 10

type streamer struct {
	h   hash.Hash
	buf []byte
}

func (w *streamer) flush() {
	if len(w.buf) > 0 {
		w.h.Write(w.buf)
		w.buf = w.buf[:0]
	}
}

func (w *streamer) write(s string) {
	if len(s) > bufSize {
		w.flush()
		// The hash only reads the bytes; no copy of a large output.
		w.h.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
		return
	}
	if len(w.buf)+len(s) > cap(w.buf) {
		w.flush()
	}
	w.buf = append(w.buf, s...)
}

// text writes a string or key as UTF-8, refusing the WTF-8 form of a lone
// surrogate that nbformat.Read keeps (Python's encode raises on it).
func (w *streamer) text(s string) error {
	for i := 0; ; {
		j := strings.IndexByte(s[i:], 0xED)
		if j < 0 {
			break
		}
		i += j + 1
		if i < len(s) && s[i] >= 0xA0 {
			return fmt.Errorf("trust: notebook holds a lone surrogate, which cannot be signed")
		}
	}
	w.write(s)
	return nil
}

func (w *streamer) value(v any, at level) error {
	switch v := v.(type) {
	case map[string]any:
		keys := slices.Sorted(maps.Keys(v)) // byte order of UTF-8 = Python's code-point order
		for _, k := range keys {
			next := levelAny
			switch {
			case at == levelTop && k == "metadata":
				next = levelTopMeta
			case at == levelTop && k == "cells":
				next = levelCells
			case at == levelCell && k == "metadata":
				next = levelCellMeta
			case at == levelTopMeta && k == "signature", at == levelCellMeta && k == "trusted":
				continue
			}
			if err := w.text(k); err != nil {
				return err
			}
			if at == levelCell && k == "outputs" {
				// A streamed cell may hold them undecoded: one at a time,
				// streamed as a list's elements are.
				isArray, err := nbformat.EachOutput(v, func(_ int, out any) error { return w.value(out, levelAny) })
				if err != nil {
					return err
				}
				if isArray {
					continue
				}
			}
			if err := w.value(v[k], next); err != nil {
				return err
			}
		}
	case []any:
		next := levelAny
		if at == levelCells {
			next = levelCell
		}
		for _, x := range v {
			if err := w.value(x, next); err != nil {
				return err
			}
		}
	case string:
		return w.text(v)
	case nbformat.Number:
		s, err := pyStr(v)
		if err != nil {
			return err
		}
		w.write(s)
	case json.Number:
		s, err := pyStr(nbformat.Number(v))
		if err != nil {
			return err
		}
		w.write(s)
	case bool:
		if v {
			w.write("True")
		} else {
			w.write("False")
		}
	case nil:
		w.write("None")
	case int:
		w.write(strconv.Itoa(v))
	case int64:
		w.write(strconv.FormatInt(v, 10))
	case float64:
		lex := nbformat.Number(strconv.FormatFloat(v, 'g', -1, 64))
		if lex.IsInt() {
			lex += ".0" // a float64 is a Python float even when whole
		}
		s, err := pyStr(lex)
		if err != nil {
			return err
		}
		w.write(s)
	default:
		return fmt.Errorf("trust: cannot sign a notebook holding a %T", v)
	}
	return nil
}

// top streams a notebook that keeps its cells apart from Doc, as value
// streams one holding them: "cells" takes its place among the sorted keys,
// and each cell is streamed as it is decoded.
func (w *streamer) top(nb *nbformat.Notebook) error {
	keys := slices.Sorted(maps.Keys(nb.Doc))
	i, _ := slices.BinarySearch(keys, "cells")
	keys = slices.Insert(keys, i, "cells")
	for _, k := range keys {
		if k != "cells" {
			next := levelAny
			if k == "metadata" {
				next = levelTopMeta
			}
			if err := w.text(k); err != nil {
				return err
			}
			if err := w.value(nb.Doc[k], next); err != nil {
				return err
			}
			continue
		}
		w.write(k)
		err := nb.Cells(func(_ int, c any) error { return w.value(c, levelCell) })
		if err != nil {
			return err
		}
	}
	return nil
}

// pyStr renders a number as Python's str() does after json.loads: exact
// integers, floats as repr, and the non-finite floats as inf, -inf and nan
// (where json.dumps would write Infinity, -Infinity and NaN).
func pyStr(n nbformat.Number) (string, error) {
	switch n {
	case "+Inf":
		return "inf", nil // strconv's spelling, from a float64 value
	case "-Inf":
		return "-inf", nil
	}
	s, err := n.Python()
	if err != nil {
		return "", fmt.Errorf("trust: %w", err)
	}
	switch s {
	case "Infinity":
		return "inf", nil
	case "-Infinity":
		return "-inf", nil
	case "NaN":
		return "nan", nil
	}
	return s, nil
}
