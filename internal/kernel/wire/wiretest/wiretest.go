// Package wiretest builds kernel messages for tests: iopub messages with
// a given type, parent request and content, as a kernel would send them.
package wiretest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"testing"

	"quire/internal/kernel/wire"
)

// Msg builds a message of type typ from session "k" whose parent is the
// execute_request with msg_id parent (no parent when parent is ""); each
// message gets a fresh msg_id.
func Msg(typ, parent string, content any) *wire.Message {
	h, _ := json.Marshal(wire.Header{MsgID: rand.Text(), MsgType: typ, Session: "k"})
	p := json.RawMessage("{}")
	if parent != "" {
		p, _ = json.Marshal(wire.Header{MsgID: parent, MsgType: "execute_request", Session: "client"})
	}
	c, _ := json.Marshal(content)
	return &wire.Message{Header: h, ParentHeader: p, Metadata: json.RawMessage("{}"), Content: c}
}

// Stream builds a stream message (name "stdout" or "stderr") of text.
func Stream(parent, name, text string) *wire.Message {
	return Msg("stream", parent, map[string]string{"name": name, "text": text})
}

// Status builds a status message of execution_state state.
func Status(parent, state string) *wire.Message {
	return Msg("status", parent, map[string]string{"execution_state": state})
}

// Describe renders a delivered message for comparison: its type and
// parent msg_id and, for streams, name and text ("stream A stdout \"1\\n\""),
// for statuses the state; a message of session "server" (a notice Quire
// made) is "notice" and its parent.
func Describe(t testing.TB, m *wire.Message) string {
	t.Helper()
	p, _ := m.ParseParent()
	var c map[string]any
	if err := json.Unmarshal(m.Content, &c); err != nil {
		t.Fatalf("content %q: %v", m.Content, err)
	}
	h, _ := m.ParseHeader()
	if h.Session == "server" {
		return "notice " + p.MsgID
	}
	switch m.Type() {
	case "stream":
		return fmt.Sprintf("stream %s %v %q", p.MsgID, c["name"], c["text"])
	case "status":
		return fmt.Sprintf("status %s %v", p.MsgID, c["execution_state"])
	}
	return m.Type() + " " + p.MsgID
}
