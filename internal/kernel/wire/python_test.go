package wire_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"quire/internal/kernel/wire"
)

// pyInterop reads {"key", "scheme", "frames": [base64…]} on stdin, has
// jupyter_client's Session verify and parse those frames, then serializes a
// message of its own (with a buffer and an identity). It prints
// {"msg_type", "content", "frames": [base64…]}.
const pyInterop = `
import base64, json, sys
from jupyter_client.session import Session
req = json.load(sys.stdin)
s = Session(key=req["key"].encode(), signature_scheme=req["scheme"], username="py")
frames = [base64.b64decode(f) for f in req["frames"]]
idents, rest = s.feed_identities(frames, copy=True)
msg = s.deserialize(rest, content=True, copy=True)
out = s.msg("stream", content={"name": "stdout", "text": "ünï\n"}, parent=msg["header"])
wire_frames = s.serialize(out, ident=[b"topic"])
wire_frames += [b"\x00buffer"]
print(json.dumps({"msg_type": msg["header"]["msg_type"], "content": msg["content"],
                  "idents": [base64.b64encode(i).decode() for i in idents],
                  "frames": [base64.b64encode(f).decode() for f in wire_frames]}))
`

const python = "/usr/bin/python3"

func TestJupyterClientInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("runs python3 -m jupyter_client")
	}
	if _, err := os.Stat(python); err != nil {
		t.Skip("no " + python)
	}
	if err := exec.Command(python, "-c", "import jupyter_client.session").Run(); err != nil {
		t.Skip("jupyter_client not importable by " + python)
	}
	for _, scheme := range []string{"hmac-sha256", "hmac-sha512", "hmac-md5"} {
		t.Run(scheme, func(t *testing.T) {
			key := wire.NewID()
			s := mustSigner(t, scheme, key)
			req := &wire.Message{
				Identities:   [][]byte{[]byte("ident-1")},
				Header:       json.RawMessage(`{"msg_id":"go-1","msg_type":"kernel_info_request","session":"go","username":"u","date":"2024-05-06T07:08:09.123456Z","version":"5.4"}`),
				ParentHeader: json.RawMessage(`{}`),
				Metadata:     json.RawMessage(`{}`),
				Content:      json.RawMessage(`{"text":"héllo"}`),
			}
			var in struct {
				Key    string   `json:"key"`
				Scheme string   `json:"scheme"`
				Frames [][]byte `json:"frames"` // base64 in JSON
			}
			in.Key, in.Scheme, in.Frames = key, scheme, s.Encode(req)
			stdin, _ := json.Marshal(in)
			cmd := exec.Command(python, "-c", pyInterop)
			cmd.Stdin = strings.NewReader(string(stdin))
			var stderr strings.Builder
			cmd.Stderr = &stderr
			stdout, err := cmd.Output()
			if err != nil {
				t.Fatalf("python: %v\n%s", err, stderr.String())
			}
			var out struct {
				MsgType string            `json:"msg_type"`
				Content map[string]string `json:"content"`
				Idents  [][]byte          `json:"idents"`
				Frames  [][]byte          `json:"frames"`
			}
			if err := json.Unmarshal(stdout, &out); err != nil {
				t.Fatalf("python output %q: %v", stdout, err)
			}
			if out.MsgType != "kernel_info_request" || out.Content["text"] != "héllo" || len(out.Idents) != 1 || string(out.Idents[0]) != "ident-1" {
				t.Errorf("jupyter_client read Go's message as %+v", out)
			}

			m, err := s.Decode(out.Frames)
			if err != nil {
				t.Fatalf("Go rejects jupyter_client's message: %v", err)
			}
			if len(m.Identities) != 1 || string(m.Identities[0]) != "topic" || len(m.Buffers) != 1 || string(m.Buffers[0]) != "\x00buffer" {
				t.Errorf("identities %q, buffers %q", m.Identities, m.Buffers)
			}
			if m.Type() != "stream" {
				t.Errorf("Type = %q, want stream", m.Type())
			}
			if p, err := m.ParseParent(); err != nil || p.MsgID != "go-1" {
				t.Errorf("parent = %+v, %v; want msg_id go-1", p, err)
			}
			h, _ := m.ParseHeader()
			if h.Username != "py" || !strings.HasPrefix(h.Version, "5.") || !dateRE.MatchString(h.Date) {
				t.Errorf("jupyter_client header = %+v", h)
			}
			// Tampering with what jupyter_client signed is caught.
			out.Frames[len(out.Frames)-2] = []byte(`{"name":"stdout","text":"evil"}`)
			if _, err := s.Decode(out.Frames); err == nil {
				t.Error("tampered jupyter_client message accepted")
			}
		})
	}
}
