package nbformat

import (
	"fmt"
	"strings"
)

// maxProblems caps how many schema violations one ValidationError lists.
const maxProblems = 20

// Validate checks the notebook against the v4 schema rules for its minor
// version (4.0–4.5; newer minors against 4.5 with additional properties and
// unknown cell and output types allowed, as nbformat does). Like nbformat's
// validate(), it first gives cells of a 4.5+ notebook missing or repeated
// ids fresh random ones, in nb itself. The error lists every violation
// found (up to 20), each naming the cell (and output) index and the key.
func (nb *Notebook) Validate() error {
	if nb == nil || nb.Doc == nil {
		return invalidf("notebook is empty")
	}
	var v validator
	if err := nb.normalizeIDs(); err != nil {
		v.add("%v", err)
	}
	v.notebook(nb)
	if len(v.problems) == 0 {
		return nil
	}
	msg := "notebook does not match the nbformat schema: " + strings.Join(v.problems, "; ")
	if v.more > 0 {
		msg += fmt.Sprintf("; and %d more", v.more)
	}
	return &ValidationError{Msg: msg}
}

type validator struct {
	problems []string
	more     int
	minor    int  // schema minor in effect (0–5)
	relaxed  bool // a newer minor than 4.5
}

func (v *validator) add(format string, args ...any) {
	if len(v.problems) >= maxProblems {
		v.more++
		return
	}
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

// isNonNegInt: JSON integer ≥ 0 ("-0" is 0 in Python).
func isNonNegInt(x any) bool {
	n, ok := asNumber(x)
	return ok && n.IsInt() && (!strings.HasPrefix(string(n), "-") || strings.Trim(string(n), "-0") == "")
}

func isString(x any) bool { _, ok := x.(string); return ok }

func isObject(x any) bool { _, ok := x.(map[string]any); return ok }

func isMultiline(x any) bool {
	switch x := x.(type) {
	case string:
		return true
	case []any:
		for _, e := range x {
			if !isString(e) {
				return false
			}
		}
		return true
	}
	return false
}

// matchDollar reports whether a Python regexp "^…$" whose body cannot match
// a newline accepts s: Python's $ also matches before one final "\n".
func matchDollar(s string, body func(string) bool) bool {
	if body(s) {
		return true
	}
	return strings.HasSuffix(s, "\n") && body(s[:len(s)-1])
}

// isJSONMimePattern is the schema's ^application/(.*\+)?json$ (re.search).
func isJSONMimePattern(k string) bool {
	return matchDollar(k, func(s string) bool {
		if !strings.HasPrefix(s, "application/") || !strings.HasSuffix(s, "json") || len(s) < len("application/json") {
			return false
		}
		mid := s[len("application/") : len(s)-len("json")]
		return mid == "" || strings.HasSuffix(mid, "+") && !strings.Contains(mid, "\n")
	})
}

func validCellID(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (v *validator) notebook(nb *Notebook) {
	doc := nb.Doc
	major, ok := asNumber(doc["nbformat"])
	if mv, _ := major.Int64(); !ok || !major.IsInt() || mv != 4 {
		v.add(`"nbformat" must be 4, not %s`, describe(doc["nbformat"]))
		return
	}
	minor, present, err := minorVersion(doc)
	if err != nil {
		v.add("%v", err)
		return
	}
	if minor < 0 {
		v.add("no schema for nbformat 4.%d", minor)
		return
	}
	if !present {
		v.add(`missing required key "nbformat_minor"`)
	}
	v.minor, v.relaxed = min(minor, 5), minor > 5

	for _, k := range []string{"metadata", "nbformat_minor", "nbformat", "cells"} {
		if _, ok := doc[k]; !ok && k != "nbformat_minor" && (k != "cells" || nb.cells == nil) {
			v.add("missing required key %q", k)
		}
	}
	if !v.relaxed {
		for k := range doc {
			switch k {
			case "metadata", "nbformat_minor", "nbformat", "cells":
			default:
				v.add("unexpected top-level key %q", k)
			}
		}
	}
	if m, ok := doc["metadata"]; ok {
		v.notebookMeta(m)
	}
	if nb.cells != nil {
		// decode cannot fail after a successful load.
		_ = nb.Cells(func(i int, cell any) error {
			v.cell(i, cell)
			return nil
		})
		return
	}
	if c, ok := doc["cells"]; ok {
		cells, ok := c.([]any)
		if !ok {
			v.add(`"cells" must be an array, not %s`, describe(c))
			return
		}
		for i, cell := range cells {
			v.cell(i, cell)
		}
	}
}

func (v *validator) notebookMeta(m any) {
	meta, ok := m.(map[string]any)
	if !ok {
		v.add(`"metadata" must be an object, not %s`, describe(m))
		return
	}
	if ks, ok := meta["kernelspec"]; ok {
		if km, ok := ks.(map[string]any); !ok {
			v.add(`metadata "kernelspec" must be an object`)
		} else {
			for _, k := range []string{"name", "display_name"} {
				if x, ok := km[k]; !ok {
					v.add("metadata.kernelspec: missing required key %q", k)
				} else if !isString(x) {
					v.add("metadata.kernelspec.%s must be a string", k)
				}
			}
		}
	}
	if li, ok := meta["language_info"]; ok {
		if lm, ok := li.(map[string]any); !ok {
			v.add(`metadata "language_info" must be an object`)
		} else {
			if _, ok := lm["name"]; !ok {
				v.add(`metadata.language_info: missing required key "name"`)
			}
			for _, k := range []string{"name", "file_extension", "mimetype", "pygments_lexer"} {
				if x, ok := lm[k]; ok && !isString(x) {
					v.add("metadata.language_info.%s must be a string", k)
				}
			}
			if x, ok := lm["codemirror_mode"]; ok && !isString(x) && !isObject(x) {
				v.add("metadata.language_info.codemirror_mode must be a string or an object")
			}
		}
	}
	if x, ok := meta["orig_nbformat"]; ok {
		if n, ok := asNumber(x); !ok || !isNonNegInt(x) || strings.Trim(string(n), "-0") == "" {
			v.add("metadata.orig_nbformat must be an integer ≥ 1")
		}
	}
	if v.minor >= 2 {
		if x, ok := meta["title"]; ok && !isString(x) {
			v.add("metadata.title must be a string")
		}
		if x, ok := meta["authors"]; ok {
			if _, ok := x.([]any); !ok {
				v.add("metadata.authors must be an array")
			}
		}
	}
}

func (v *validator) cell(i int, c any) {
	cell, ok := c.(map[string]any)
	if !ok {
		v.add("cell %d must be an object, not %s", i, describe(c))
		return
	}
	ctv, ok := cell["cell_type"]
	if !ok {
		v.add(`cell %d: missing required key "cell_type"`, i)
		return
	}
	ct, _ := ctv.(string)
	if !knownCell(ct) {
		if !v.relaxed {
			v.add(`cell %d: unknown "cell_type" %s`, i, quoteValue(ctv))
			return
		}
		// unrecognized_cell: cell_type and metadata required.
		if m, ok := cell["metadata"]; !ok {
			v.add(`cell %d: missing required key "metadata"`, i)
		} else {
			v.cellMeta(i, ct, m)
		}
		return
	}
	// No slice or map per cell: a million cells would allocate them a
	// million times.
	withID, code := v.minor >= 5 || v.relaxed, ct == "code"
	allowed := func(k string) bool {
		switch k {
		case "cell_type", "metadata", "source":
			return true
		case "id":
			return withID
		case "outputs", "execution_count":
			return code
		case "attachments":
			return !code
		}
		return false
	}
	for _, k := range [...]string{"cell_type", "metadata", "source", "id", "outputs", "execution_count"} {
		if !allowed(k) {
			continue
		}
		if _, ok := cell[k]; !ok {
			v.add("cell %d (%s): missing required key %q", i, ct, k)
		}
	}
	if !v.relaxed {
		for k := range cell {
			if !allowed(k) {
				if k == "id" {
					v.add(`cell %d: "id" is not allowed before nbformat 4.5`, i)
				} else {
					v.add("cell %d (%s): unexpected key %q", i, ct, k)
				}
			}
		}
	}
	if x, ok := cell["id"]; ok && allowed("id") {
		if s, ok := x.(string); !ok || !validCellID(s) {
			v.add(`cell %d: "id" must be 1–64 characters of a-z A-Z 0-9 - _, not %s`, i, quoteValue(x))
		}
	}
	if m, ok := cell["metadata"]; ok {
		v.cellMeta(i, ct, m)
	}
	if x, ok := cell["source"]; ok && !isMultiline(x) {
		v.add(`cell %d: "source" must be a string or an array of strings`, i)
	}
	if x, ok := cell["attachments"]; ok && allowed("attachments") {
		if am, ok := x.(map[string]any); !ok {
			v.add(`cell %d: "attachments" must be an object`, i)
		} else {
			for name, b := range am {
				v.bundle(fmt.Sprintf("cell %d attachment %q", i, name), b)
			}
		}
	}
	if ct != "code" {
		return
	}
	if x, ok := cell["execution_count"]; ok && x != nil && !isNonNegInt(x) {
		v.add(`cell %d: "execution_count" must be an integer ≥ 0 or null, not %s`, i, describe(x))
	}
	if _, ok := cell["outputs"]; ok {
		isArray, _ := EachOutput(cell, func(j int, o any) error {
			v.output(i, j, o)
			return nil
		})
		if !isArray {
			v.add(`cell %d: "outputs" must be an array`, i)
		}
	}
}

func quoteValue(x any) string {
	if s, ok := x.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return describe(x)
}

func (v *validator) cellMeta(i int, ct string, m any) {
	meta, ok := m.(map[string]any)
	if !ok {
		v.add(`cell %d: "metadata" must be an object, not %s`, i, describe(m))
		return
	}
	if x, ok := meta["name"]; ok {
		if s, ok := x.(string); !ok || s == "" || strings.Contains(s, "\n") {
			v.add("cell %d: metadata.name must be a non-empty single-line string", i)
		}
	}
	if x, ok := meta["tags"]; ok {
		tags, ok := x.([]any)
		if !ok {
			v.add("cell %d: metadata.tags must be an array", i)
		} else {
			seen := map[string]bool{}
			for _, t := range tags {
				s, ok := t.(string)
				if !ok || s == "" || strings.Contains(s, ",") {
					v.add("cell %d: metadata.tags must hold non-empty strings without commas, not %s", i, quoteValue(t))
					continue
				}
				if seen[s] {
					v.add("cell %d: metadata.tags repeats %q", i, s)
				}
				seen[s] = true
			}
		}
	}
	if !knownCell(ct) {
		return
	}
	if v.minor >= 3 {
		if x, ok := meta["jupyter"]; ok && !isObject(x) {
			v.add("cell %d: metadata.jupyter must be an object", i)
		}
	}
	switch ct {
	case "raw":
		if x, ok := meta["format"]; ok && !isString(x) {
			v.add("cell %d: metadata.format must be a string", i)
		}
	case "code":
		if v.minor >= 4 {
			if x, ok := meta["execution"]; ok {
				if em, ok := x.(map[string]any); !ok {
					v.add("cell %d: metadata.execution must be an object", i)
				} else {
					for k, t := range em {
						// patternProperties "^.*$": keys with an inner newline escape it.
						if matchDollar(k, func(s string) bool { return !strings.Contains(s, "\n") }) && !isString(t) {
							v.add("cell %d: metadata.execution[%q] must be a string", i, k)
						}
					}
				}
			}
		}
		if x, ok := meta["collapsed"]; ok {
			if _, ok := x.(bool); !ok {
				v.add("cell %d: metadata.collapsed must be a boolean", i)
			}
		}
		if x, ok := meta["scrolled"]; ok && !validScrolled(x) {
			v.add(`cell %d: metadata.scrolled must be true, false or "auto"`, i)
		}
	}
}

// validScrolled is the enum [true, false, "auto"] as Python compares it
// (1 == True, 0.0 == False).
func validScrolled(x any) bool {
	switch x := x.(type) {
	case bool:
		return true
	case string:
		return x == "auto"
	case Number, int, int64, float64:
		n, _ := asNumber(x)
		f, err := n.Float64()
		return err == nil && (f == 0 || f == 1)
	}
	return false
}

func (v *validator) bundle(where string, b any) {
	bm, ok := b.(map[string]any)
	if !ok {
		v.add("%s must be an object (a mimebundle)", where)
		return
	}
	if v.relaxed {
		return // the relaxed schema turns additionalProperties (the value rule) into true
	}
	for k, x := range bm {
		if !isJSONMimePattern(k) && !isMultiline(x) {
			v.add("%s: %q must be a string or an array of strings", where, k)
		}
	}
}

var outputKeys = map[string][]string{
	"execute_result": {"output_type", "data", "metadata", "execution_count"},
	"display_data":   {"output_type", "data", "metadata"},
	"stream":         {"output_type", "name", "text"},
	"error":          {"output_type", "ename", "evalue", "traceback"},
}

func (v *validator) output(i, j int, o any) {
	out, ok := o.(map[string]any)
	if !ok {
		v.add("cell %d output %d must be an object, not %s", i, j, describe(o))
		return
	}
	otv, ok := out["output_type"]
	if !ok {
		v.add(`cell %d output %d: missing required key "output_type"`, i, j)
		return
	}
	ot, _ := otv.(string)
	keys, known := outputKeys[ot]
	if !known {
		if !v.relaxed {
			v.add(`cell %d output %d: unknown "output_type" %s`, i, j, quoteValue(otv))
		}
		return
	}
	for _, k := range keys {
		if _, ok := out[k]; !ok {
			v.add("cell %d output %d (%s): missing required key %q", i, j, ot, k)
		}
	}
	if !v.relaxed {
		for k := range out {
			found := false
			for _, a := range keys {
				found = found || a == k
			}
			if !found {
				v.add("cell %d output %d (%s): unexpected key %q", i, j, ot, k)
			}
		}
	}
	where := fmt.Sprintf("cell %d output %d", i, j)
	switch ot {
	case "execute_result", "display_data":
		if x, ok := out["data"]; ok {
			v.bundle(where+" data", x)
		}
		if x, ok := out["metadata"]; ok && !isObject(x) {
			v.add("%s: \"metadata\" must be an object", where)
		}
		if x, ok := out["execution_count"]; ok && ot == "execute_result" && x != nil && !isNonNegInt(x) {
			v.add(`%s: "execution_count" must be an integer ≥ 0 or null, not %s`, where, describe(x))
		}
	case "stream":
		if x, ok := out["name"]; ok && !isString(x) {
			v.add(`%s: "name" must be a string`, where)
		}
		if x, ok := out["text"]; ok && !isMultiline(x) {
			v.add(`%s: "text" must be a string or an array of strings`, where)
		}
	case "error":
		for _, k := range []string{"ename", "evalue"} {
			if x, ok := out[k]; ok && !isString(x) {
				v.add("%s: %q must be a string", where, k)
			}
		}
		if x, ok := out["traceback"]; ok {
			a, ok := x.([]any)
			good := ok
			for _, e := range a {
				good = good && isString(e)
			}
			if !good {
				v.add(`%s: "traceback" must be an array of strings`, where)
			}
		}
	}
}
