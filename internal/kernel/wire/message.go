package wire

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// DateFormat is the header date layout: ISO 8601, UTC, microseconds, Z.
const DateFormat = "2006-01-02T15:04:05.000000Z"

// NewID returns a random (version 4) UUID string.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// NewMessage builds a server-originated message with a fresh header:
// msg_id "<session>_<pid>_<random hex>", date now in UTC, version 5.4.
// content is marshalled to JSON (nil → {}); a nil parent becomes {}.
// Use a Session for counter-based ids.
func NewMessage(msgType, session, username string, content any, parent json.RawMessage) (*Message, error) {
	var r [8]byte
	_, _ = rand.Read(r[:])
	id := session + "_" + strconv.Itoa(os.Getpid()) + "_" + hex.EncodeToString(r[:])
	return newMessage(id, msgType, session, username, content, parent)
}

func newMessage(id, msgType, session, username string, content any, parent json.RawMessage) (*Message, error) {
	h, err := json.Marshal(Header{
		MsgID:    id,
		MsgType:  msgType,
		Session:  session,
		Username: username,
		Date:     time.Now().UTC().Format(DateFormat),
		Version:  Version,
	})
	if err != nil {
		return nil, fmt.Errorf("new %s message: %w", msgType, err)
	}
	c := []byte("{}")
	if content != nil {
		if c, err = json.Marshal(content); err != nil {
			return nil, fmt.Errorf("new %s message: content: %w", msgType, err)
		}
	}
	if len(parent) == 0 {
		parent = json.RawMessage("{}")
	}
	return &Message{Header: h, ParentHeader: parent, Metadata: json.RawMessage("{}"), Content: c}, nil
}

// Session stamps server-originated messages for one client session, with
// msg_id "<ID>_<pid>_<n>" as jupyter_client does. It is safe for concurrent
// use.
type Session struct {
	ID       string // header session; the client's session_id
	Username string // header username
	n        atomic.Uint64
	pid      string
}

// NewSession returns a Session for id and username.
func NewSession(id, username string) *Session {
	return &Session{ID: id, Username: username, pid: strconv.Itoa(os.Getpid())}
}

// NewMessage builds a message like the package-level NewMessage, numbering
// its msg_id from the session's counter.
func (s *Session) NewMessage(msgType string, content any, parent json.RawMessage) (*Message, error) {
	id := s.ID + "_" + s.pid + "_" + strconv.FormatUint(s.n.Add(1)-1, 10)
	return newMessage(id, msgType, s.ID, s.Username, content, parent)
}
