package nbformat

import (
	"strings"
)

// v3 multiline output keys (nbformat.v3.rwbase).
var v3MultilineOutputs = []string{"text", "html", "svg", "latex", "javascript", "json"}

// v3 output aliases and the mime types they become in v4.
var v3MimeMap = [][2]string{
	{"text", "text/plain"}, {"html", "text/html"}, {"svg", "image/svg+xml"},
	{"png", "image/png"}, {"jpeg", "image/jpeg"}, {"latex", "text/latex"},
	{"json", "application/json"}, {"javascript", "application/javascript"},
}

// v3JoinLines joins lines as v3's reader does: with "" if the first line
// keeps its line break, else with "\n".
func v3JoinLines(a []any) (string, bool) {
	parts := make([]string, len(a))
	for i, v := range a {
		s, ok := v.(string)
		if !ok {
			return "", false
		}
		parts[i] = s
	}
	if len(parts) > 0 && (strings.HasSuffix(parts[0], "\n") || strings.HasSuffix(parts[0], "\r")) {
		return strings.Join(parts, ""), true
	}
	return strings.Join(parts, "\n"), true
}

// pyTruthy is Python's bool() of a JSON value.
func pyTruthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		return v != ""
	case Number:
		f, err := v.Float64()
		return err != nil || f != 0
	case []any:
		return len(v) > 0
	case map[string]any:
		return len(v) > 0
	}
	return true
}

// upgradeV3 converts a decoded v3 notebook to v4.5 in place as nbformat's
// v3 reader (rejoin_lines) and v4.convert.upgrade do: worksheets are
// flattened, input → source, prompt_number → execution_count, heading cells
// become markdown, pyout → execute_result, pyerr → error, output aliases
// become mime types, metadata.orig_nbformat = 3, and every cell gets a
// random id.
func upgradeV3(doc map[string]any) error {
	wss, ok := doc["worksheets"].([]any)
	if !ok {
		return invalidf(`nbformat 3 notebook: "worksheets" must be an array, not %s`, describe(doc["worksheets"]))
	}
	minor, present, err := minorVersion(doc)
	if err != nil {
		return err
	}
	if !present && minor == 0 {
		return invalidf(`nbformat 3 notebook has no "nbformat_minor"`)
	}
	meta, ok := doc["metadata"].(map[string]any)
	if !ok {
		return invalidf(`nbformat 3 notebook: "metadata" must be an object, not %s`, describe(doc["metadata"]))
	}
	var cells []any
	for w, wsv := range wss {
		ws, ok := wsv.(map[string]any)
		if !ok {
			return invalidf("worksheet %d must be an object", w)
		}
		wc, ok := ws["cells"].([]any)
		if !ok {
			return invalidf(`worksheet %d: "cells" must be an array`, w)
		}
		for _, c := range wc {
			i := len(cells)
			cell, ok := c.(map[string]any)
			if !ok {
				return invalidf("cell %d must be an object, not %s", i, describe(c))
			}
			if err := upgradeV3Cell(cell, i); err != nil {
				return err
			}
			cells = append(cells, cell)
		}
	}
	if cells == nil {
		cells = []any{}
	}
	orig := doc["orig_nbformat"]
	origMinor := doc["orig_nbformat_minor"]
	delete(doc, "orig_nbformat")
	delete(doc, "orig_nbformat_minor")
	delete(doc, "worksheets")
	if !pyTruthy(orig) {
		orig = Number("3")
	}
	if !pyTruthy(origMinor) {
		origMinor = Number("0")
	}
	meta["orig_nbformat"] = orig
	meta["orig_nbformat_minor"] = origMinor
	delete(meta, "name")
	delete(meta, "signature")
	doc["nbformat"] = Number("4")
	doc["nbformat_minor"] = Number("5")
	doc["cells"] = cells
	return nil
}

func upgradeV3Cell(cell map[string]any, i int) error {
	ct, ok := cell["cell_type"].(string)
	if !ok {
		return invalidf(`cell %d: "cell_type" must be a string, not %s`, i, describe(cell["cell_type"]))
	}
	// v3 rejoin_lines.
	if ct == "code" {
		if a, ok := cell["input"].([]any); ok {
			s, ok := v3JoinLines(a)
			if !ok {
				return invalidf(`cell %d: "input" must be an array of strings`, i)
			}
			cell["input"] = s
		}
	} else {
		for _, key := range []string{"source", "rendered"} {
			if a, ok := cell[key].([]any); ok {
				s, ok := v3JoinLines(a)
				if !ok {
					return invalidf("cell %d: %q must be an array of strings", i, key)
				}
				cell[key] = s
			}
		}
	}
	// v4 upgrade_cell.
	if _, has := cell["metadata"]; !has {
		cell["metadata"] = map[string]any{}
	}
	meta, ok := cell["metadata"].(map[string]any)
	if !ok {
		return invalidf(`cell %d: "metadata" must be an object, not %s`, i, describe(cell["metadata"]))
	}
	cell["id"] = newCellID()
	switch ct {
	case "code":
		delete(cell, "language")
		if v, has := cell["collapsed"]; has {
			meta["collapsed"] = v
			delete(cell, "collapsed")
		}
		src, has := cell["input"]
		if !has {
			src = ""
		}
		delete(cell, "input")
		cell["source"] = src
		ec, has := cell["prompt_number"]
		if !has {
			ec = nil
		}
		delete(cell, "prompt_number")
		cell["execution_count"] = ec
		outs, ok := cell["outputs"].([]any)
		if !ok {
			return invalidf(`cell %d: "outputs" must be an array, not %s`, i, describe(cell["outputs"]))
		}
		for j, o := range outs {
			out, ok := o.(map[string]any)
			if !ok {
				return invalidf("cell %d output %d must be an object, not %s", i, j, describe(o))
			}
			if err := upgradeV3Output(out, i, j); err != nil {
				return err
			}
		}
	case "heading":
		cell["cell_type"] = "markdown"
		level := 1
		if lv, has := cell["level"]; has {
			n, ok := lv.(Number)
			v, inRange := n.Int64()
			if !ok || !inRange || v > 1<<16 {
				return invalidf(`cell %d: heading "level" must be a small integer`, i)
			}
			level = max(int(v), 0)
			delete(cell, "level")
		}
		src := ""
		if s, has := cell["source"]; has {
			if src, ok = s.(string); !ok {
				return invalidf(`cell %d: heading "source" must be a string`, i)
			}
		}
		var lines []string
		forLines(src, func(l string) {
			lines = append(lines, l[:len(l)-lineBreakLen(l)])
		})
		cell["source"] = strings.Repeat("#", level) + " " + strings.Join(lines, " ")
	case "html":
		cell["cell_type"] = "markdown"
	case "markdown", "raw":
	default:
		// Upgraded to 4.5, whose schema (and so Read of the file written)
		// knows no other cell type.
		return invalidf(`cell %d: unknown "cell_type" %q`, i, ct)
	}
	return nil
}

// lineBreakLen returns the length of the line break ending l, if any.
func lineBreakLen(l string) int {
	for n := min(3, len(l)); n >= 1; n-- {
		if lineEnd(l, len(l)-n) == n {
			return n
		}
	}
	return 0
}

func upgradeV3Output(out map[string]any, i, j int) error {
	// v3 rejoin_lines.
	for _, key := range v3MultilineOutputs {
		if a, ok := out[key].([]any); ok {
			s, ok := v3JoinLines(a)
			if !ok {
				return invalidf("cell %d output %d: %q must be an array of strings", i, j, key)
			}
			out[key] = s
		}
	}
	ot, has := out["output_type"]
	if !has {
		return invalidf(`cell %d output %d has no "output_type"`, i, j)
	}
	switch ot {
	case "pyout", "display_data":
		if _, has := out["metadata"]; !has {
			out["metadata"] = map[string]any{}
		}
		meta, ok := out["metadata"].(map[string]any)
		if !ok {
			return invalidf(`cell %d output %d: "metadata" must be an object`, i, j)
		}
		if ot == "pyout" {
			out["output_type"] = "execute_result"
			ec, has := out["prompt_number"]
			if !has {
				ec = nil
			}
			delete(out, "prompt_number")
			out["execution_count"] = ec
		}
		data := map[string]any{}
		for k, v := range out {
			switch k {
			case "output_type", "execution_count", "metadata":
				continue
			}
			data[k] = v
			delete(out, k)
		}
		toMimeKeys(data)
		toMimeKeys(meta)
		if v, has := data["application/json"]; has {
			s, ok := v.(string)
			if !ok {
				return invalidf(`cell %d output %d: v3 "json" output must be a string`, i, j)
			}
			parsed, _, err := decode([]byte(s))
			if err != nil {
				return invalidf(`cell %d output %d: v3 "json" output: %v`, i, j, err)
			}
			data["application/json"] = parsed
		}
		out["data"] = data
	case "pyerr":
		out["output_type"] = "error"
	case "stream":
		name, has := out["stream"]
		if !has {
			name = "stdout"
		}
		delete(out, "stream")
		out["name"] = name
	}
	return nil
}

func toMimeKeys(d map[string]any) {
	for _, am := range v3MimeMap {
		if v, has := d[am[0]]; has {
			delete(d, am[0])
			d[am[1]] = v
		}
	}
}
