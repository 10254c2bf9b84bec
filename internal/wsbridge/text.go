package wsbridge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/coder/websocket"
)

// TextConn is one client's connection to a source of text messages (a terminal,
// whose protocol, terminado's JSON arrays, the far side speaks).
type TextConn interface {
	// Handle takes one client text message. An error drops the message (it is
	// logged); it does not end the bridge.
	Handle(msg []byte) error
	// Next returns the next message for the client. Its error ends the bridge; a
	// *CloseError chooses the close code. Next returns when ctx ends.
	Next(ctx context.Context) ([]byte, error)
	// Close ends the connection. ServeText always calls it once before it returns.
	Close()
}

// ServeText upgrades r to a WebSocket and relays text messages between the client and
// conn until either side ends, as Serve does for kernels: the same Options (largest
// client message, pings, write timeout), the same close codes, and when r's context
// ends the client is told to reconnect. Binary client frames are dropped. It calls
// conn.Close once before returning.
func ServeText(w http.ResponseWriter, r *http.Request, conn TextConn, o Options) error {
	o = o.withDefaults()
	c, err := accept(w, r, nil, o)
	if err != nil {
		conn.Close()
		return fmt.Errorf("terminal websocket: %w", err)
	}
	b := &bridge{ws: c, text: conn, o: o}
	b.pumps = []func(context.Context) ending{b.readText, b.writeText}
	b.closeConn = conn.Close
	return b.run(r.Context())
}

// readText hands client text messages to the far side; like readClient, only a read
// error or an oversize message ends the pump.
func (b *bridge) readText(ctx context.Context) ending {
	rctx := context.WithoutCancel(ctx) // see readClient
	for {
		typ, rd, err := b.ws.Reader(rctx)
		if err != nil {
			return b.readEnding(err)
		}
		data, err := io.ReadAll(io.LimitReader(rd, b.o.MaxMessageSize+1))
		if err != nil {
			return b.readEnding(err)
		}
		if int64(len(data)) > b.o.MaxMessageSize {
			return ending{
				code:   CodeMessageTooBig,
				reason: fmt.Sprintf("message larger than %d bytes", b.o.MaxMessageSize),
				err:    fmt.Errorf("client message larger than %d bytes", b.o.MaxMessageSize),
			}
		}
		if typ != websocket.MessageText {
			b.o.Log.Warn("terminal websocket: dropped a binary client message", "bytes", len(data))
			continue
		}
		if err := b.text.Handle(data); err != nil {
			b.o.Log.Warn("terminal websocket: dropped a client message", "err", err, "bytes", len(data))
		}
	}
}

// writeText is the only writer of data frames.
func (b *bridge) writeText(ctx context.Context) ending {
	for {
		msg, err := b.text.Next(ctx)
		if err != nil {
			var ce *CloseError
			switch {
			case errors.As(err, &ce):
				return ending{code: websocket.StatusCode(ce.Code), reason: shorten(ce.Reason)}
			case ctx.Err() != nil:
				return ending{code: CodeServiceRestart, reason: "server shutting down"}
			default:
				return ending{code: CodeServiceRestart, reason: "terminal connection ended", err: fmt.Errorf("terminal: %w", err)}
			}
		}
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.o.WriteTimeout) // see writeClient
		err = b.ws.Write(wctx, websocket.MessageText, msg)
		cancel()
		if err != nil {
			return b.ioEnding(ctx, "write client", err)
		}
	}
}
