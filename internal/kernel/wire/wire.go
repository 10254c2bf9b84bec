// Package wire is the Jupyter message as it travels over ZeroMQ: the message
// model, HMAC signing and the multipart codec. It imports only the standard
// library and keeps the four JSON dicts raw, so client messages are forwarded
// byte-for-byte.
package wire

import (
	"encoding/json"
	"fmt"
)

// Delimiter separates routing identities from the signed part of a message.
const Delimiter = "<IDS|MSG>"

// Version is the protocol version stamped on server-originated headers.
const Version = "5.4"

// Message is one Jupyter message; the four dicts stay raw JSON so that
// client messages are forwarded byte-for-byte.
type Message struct {
	Identities   [][]byte        // frames before the delimiter (routing ids; iopub topic)
	Header       json.RawMessage //
	ParentHeader json.RawMessage // "{}" when absent
	Metadata     json.RawMessage // "{}" when absent
	Content      json.RawMessage //
	Buffers      [][]byte        // extra frames after content; not signed
}

// Header is the parsed form of a message header or parent header. Keys the
// struct does not name are ignored when parsing; the raw bytes in Message
// keep them.
type Header struct {
	MsgID    string `json:"msg_id"`
	MsgType  string `json:"msg_type"`
	Session  string `json:"session"`
	Username string `json:"username"`
	Date     string `json:"date"`
	Version  string `json:"version"`
}

// ParseHeader parses m.Header. It is not cached: callers that need the
// header more than once should keep the result.
func (m *Message) ParseHeader() (Header, error) {
	var h Header
	if err := json.Unmarshal(m.Header, &h); err != nil {
		return Header{}, fmt.Errorf("parse header: %w", err)
	}
	return h, nil
}

// ParseParent parses m.ParentHeader; an absent or empty ({}) parent yields
// the zero Header and no error.
func (m *Message) ParseParent() (Header, error) {
	var h Header
	if len(m.ParentHeader) == 0 {
		return h, nil
	}
	if err := json.Unmarshal(m.ParentHeader, &h); err != nil {
		return Header{}, fmt.Errorf("parse parent header: %w", err)
	}
	return h, nil
}

// Type returns the header's msg_type, or "" if the header does not parse.
func (m *Message) Type() string {
	var h struct {
		MsgType string `json:"msg_type"`
	}
	if json.Unmarshal(m.Header, &h) != nil {
		return ""
	}
	return h.MsgType
}
