package contents

import (
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"time"

	"quire/internal/isotime"
	"quire/internal/jsonstr"
	"quire/internal/nbformat"
)

// Model types.
const (
	TypeDirectory = "directory"
	TypeFile      = "file"
	TypeNotebook  = "notebook"
)

// Model is a contents model (spec §2.3.1). Its JSON form has exactly the
// keys Jupyter sends, with nulls where Jupyter has None.
//
// Ownership: the Content of a Model from Get may live in a buffer of the
// Service's cache (Options.Buffers), and a notebook's strings point into
// it. The caller holds that buffer until it calls Release, which gives it
// back; from then on neither Content nor any string taken from it may be
// used. A caller that keeps something past Release copies it first.
type Model struct {
	Name         string
	Path         string
	Type         string
	Writable     bool
	Created      time.Time
	LastModified time.Time
	// Size is the byte size; ignored (null) for directories.
	Size int64
	// Mimetype is null when empty.
	Mimetype string
	// Content is nil (null), []*Model (directory), string (file) or
	// *nbformat.Notebook (notebook).
	Content any
	// Format is null when empty: "json", "text" or "base64".
	Format string
	// Hash is null when empty; HashAlgorithm is set with it.
	Hash          string
	HashAlgorithm string
	// Message is only sent when set (notebook validation failures).
	Message string

	release func() // gives Content's buffers back; see Release
}

// Release gives the buffers behind the model's content back for reuse by
// later requests. Content must not be used afterwards, nor any string taken
// from it. Calling it is optional (the garbage collector frees what is not
// released) and it may be called more than once.
func (m *Model) Release() {
	if m != nil && m.release != nil {
		m.release()
		m.release = nil
		m.Content = nil
	}
}

// Checkpoint is a checkpoint model.
type Checkpoint struct {
	ID           string
	LastModified time.Time
}

// MarshalJSON renders {"id", "last_modified"}.
func (c Checkpoint) MarshalJSON() ([]byte, error) {
	b := []byte(`{"id":`)
	b = appendString(b, c.ID)
	b = append(b, `,"last_modified":`...)
	b = appendString(b, isotime.Format(c.LastModified))
	return append(b, '}'), nil
}

// MarshalJSON renders the model with Jupyter's keys. It writes the JSON
// directly, so a large notebook or file is not re-encoded through
// reflection.
func (m *Model) MarshalJSON() ([]byte, error) {
	size := 256
	if c, ok := m.Content.([]*Model); ok {
		size += 320 * len(c) // a content-less child renders to ~250–300 bytes
	}
	return m.appendJSON(make([]byte, 0, size))
}

// StreamJSON writes what MarshalJSON renders to w. A notebook goes out in
// pieces of about 128 KiB as it is rendered, never whole, so a 20 MB
// notebook needs neither a 20 MB buffer nor a copy of one; the first
// write comes only once a piece is full, so an encoding error found early
// leaves w untouched.
func (m *Model) StreamJSON(w io.Writer) error {
	nb, ok := m.Content.(*nbformat.Notebook)
	if !ok {
		b, err := m.MarshalJSON()
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	b := m.appendHead(make([]byte, 0, 160<<10))
	b, err := nb.AppendJSON(b, w)
	if err != nil {
		return err
	}
	_, err = w.Write(m.appendTail(b))
	return err
}

func (m *Model) appendJSON(b []byte) ([]byte, error) {
	b = m.appendHead(b)
	switch c := m.Content.(type) {
	case nil:
		b = append(b, "null"...)
	case string:
		b = appendString(b, c)
	case []*Model:
		b = append(b, '[')
		for i, ch := range c {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = ch.appendJSON(b); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	case *nbformat.Notebook:
		var err error
		if b, err = c.AppendJSON(slices.Grow(b, c.SizeHint()), nil); err != nil {
			return nil, err
		}
	default:
		raw, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		b = append(b, raw...)
	}
	return m.appendTail(b), nil
}

// appendHead appends the model up to its content.
func (m *Model) appendHead(b []byte) []byte {
	b = append(b, `{"name":`...)
	b = appendString(b, m.Name)
	b = append(b, `,"path":`...)
	b = appendString(b, m.Path)
	b = append(b, `,"type":`...)
	b = appendString(b, m.Type)
	b = append(b, `,"writable":`...)
	b = strconv.AppendBool(b, m.Writable)
	b = append(b, `,"created":`...)
	b = appendString(b, isotime.Format(m.Created))
	b = append(b, `,"last_modified":`...)
	b = appendString(b, isotime.Format(m.LastModified))
	b = append(b, `,"size":`...)
	if m.Type == TypeDirectory {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, m.Size, 10)
	}
	b = append(b, `,"mimetype":`...)
	b = appendNullable(b, m.Mimetype)
	return append(b, `,"content":`...)
}

// appendTail appends the model after its content.
func (m *Model) appendTail(b []byte) []byte {
	b = append(b, `,"format":`...)
	b = appendNullable(b, m.Format)
	b = append(b, `,"hash":`...)
	b = appendNullable(b, m.Hash)
	b = append(b, `,"hash_algorithm":`...)
	b = appendNullable(b, m.HashAlgorithm)
	if m.Message != "" {
		b = append(b, `,"message":`...)
		b = appendString(b, m.Message)
	}
	return append(b, '}')
}

func appendNullable(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendString(b, s)
}

// appendString appends s as a JSON string, escaping only what JSON
// requires and replacing invalid UTF-8 (possible in file names) with
// U+FFFD.
func appendString(b []byte, s string) []byte { return jsonstr.Append(b, s, jsonstr.Plain) }
