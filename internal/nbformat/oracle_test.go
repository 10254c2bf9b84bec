package nbformat_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"quire/internal/nbformat"
)

// oracleScript reads base64 notebook bytes, one a line, and answers a JSON
// line each: what nbformat.write would put in the file, and whether
// nbformat.validate accepts the notebook nbformat.reads returned.
const oracleScript = `
import base64, json, logging, sys, warnings
warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)
import nbformat
for line in sys.stdin:
    res = {"ok": False, "valid": False, "out": None, "err": ""}
    try:
        s = base64.b64decode(line).decode("utf-8")
        nb = nbformat.reads(s, as_version=4)
        out = nbformat.writes(nb)
        if not out.endswith("\n"):
            out += "\n"
        res["out"] = out
        res["ok"] = True
        try:
            nbformat.validate(nb)
            res["valid"] = True
        except nbformat.ValidationError as e:
            res["err"] = str(e)[:300]
    except Exception as e:
        res["err"] = type(e).__name__ + ": " + str(e)[:300]
    sys.stdout.write(json.dumps(res) + "\n")
    sys.stdout.flush()
`

const oraclePython = "/usr/bin/python3"

type verdict struct {
	OK    bool    `json:"ok"`
	Valid bool    `json:"valid"`
	Out   *string `json:"out"`
	Err   string  `json:"err"`
}

// runOracle feeds every input to one Python process.
func runOracle(t *testing.T, inputs []string) []verdict {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping the Python nbformat differential test in -short mode")
	}
	if err := exec.Command(oraclePython, "-c", "import nbformat").Run(); err != nil {
		t.Skipf("skipping: %s with nbformat is not available (%v); apt-get install python3-nbformat", oraclePython, err)
	}
	var in strings.Builder
	for _, s := range inputs {
		in.WriteString(base64.StdEncoding.EncodeToString([]byte(s)) + "\n")
	}
	cmd := exec.Command(oraclePython, "-c", oracleScript)
	cmd.Stdin = strings.NewReader(in.String())
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var res []verdict
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var v verdict
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("oracle answer: %v", err)
		}
		res = append(res, v)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("oracle: %v", err)
	}
	if len(res) != len(inputs) {
		t.Fatalf("oracle answered %d of %d", len(res), len(inputs))
	}
	return res
}

// randomID matches the ids nbformat and Quire invent (8 hex digits).
var randomID = regexp.MustCompile(`"id": "[0-9a-f]{8}"`)

// TestOracle compares Read, and ReadStreaming, with Python's nbformat.
func TestOracle(t *testing.T) {
	inputs := corpus(1500)
	want := runOracle(t, inputs)
	t.Run("Read", func(t *testing.T) { oracleCompare(t, inputs, want, nbformat.Read) })
	t.Run("ReadStreaming", func(t *testing.T) { oracleCompare(t, inputs, want, nbformat.ReadStreaming) })
	// Every outputs array decoded one output at a time, as the server
	// does for those of 64 KiB or more.
	t.Run("ReadStreaming/outputs one at a time", func(t *testing.T) {
		oracleCompare(t, inputs, want, func(b []byte) (*nbformat.Notebook, error) { return nbformat.ReadStreamingLazy(b, 1) })
	})
}

func oracleCompare(t *testing.T, inputs []string, want []verdict, read func([]byte) (*nbformat.Notebook, error)) {
	var nRefused, nInvalid, nValid int
	defer func() {
		t.Logf("%d inputs: %d refused by Read, %d soft-invalid, %d valid", len(inputs), nRefused, nInvalid, nValid)
	}()
	for i, in := range inputs {
		w := want[i]
		nb, rerr := read([]byte(in))
		var got []byte
		var verr, merr error
		if rerr == nil {
			verr = nb.Validate()
			got, merr = nbformat.Marshal(nb)
		}
		name := func() string {
			if len(in) > 300 {
				return in[:300] + "…"
			}
			return in
		}
		switch {
		case rerr != nil:
			nRefused++
			// Quire refuses only what nbformat cannot read or cannot validate.
			if w.Valid {
				t.Errorf("case %d: Read: %v; nbformat reads it as valid\n%s", i, rerr, name())
			}
			var se *nbformat.SyntaxError
			var ve *nbformat.ValidationError
			if !errors.As(rerr, &se) && !errors.As(rerr, &ve) {
				t.Errorf("case %d: Read error %T is neither SyntaxError nor ValidationError", i, rerr)
			}
			continue
		case !w.OK:
			t.Errorf("case %d: Read accepted what nbformat refuses (%s)\n%s", i, w.Err, name())
			continue
		case merr != nil:
			t.Errorf("case %d: Marshal: %v", i, merr)
			continue
		}
		if verr == nil {
			nValid++
		} else {
			nInvalid++
		}
		if (verr == nil) != w.Valid {
			t.Errorf("case %d: Validate = %v; nbformat valid = %v (%s)\n%s", i, verr, w.Valid, w.Err, name())
		}
		g, p := randomID.ReplaceAllString(string(got), `"id": "RANDOM"`), randomID.ReplaceAllString(*w.Out, `"id": "RANDOM"`)
		if g != p {
			t.Errorf("case %d: Marshal differs from nbformat.write\ninput: %s\n%s", i, name(), firstDiff(g, p))
		}
	}
}

func firstDiff(got, want string) string {
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			return "line " + itoa(i+1) + ":\n quire:    " + g + "\n nbformat: " + w
		}
	}
	return "(equal?)"
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
