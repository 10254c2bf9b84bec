package main

import (
	"fmt"
	"strings"
	"testing"

	"quire/internal/kernel/wire"
)

func TestParseEvent(t *testing.T) {
	parent := `{"msg_id":"req-1","msg_type":"execute_request"}`
	for _, tc := range []struct {
		name    string
		header  string
		content string
		want    event
		wantErr bool
	}{
		{
			name:    "status",
			header:  `{"msg_id":"a","msg_type":"status"}`,
			content: `{"execution_state":"idle"}`,
			want:    event{channel: "iopub", msgType: "status", msgID: "a", parent: "req-1", state: "idle"},
		},
		{
			name:    "stream counts bytes and newlines of the decoded text",
			header:  `{"msg_id":"b","msg_type":"stream"}`,
			content: `{"name":"stdout","text":"0\n1\n\u00e9\n"}`,
			want:    event{channel: "iopub", msgType: "stream", msgID: "b", parent: "req-1", stream: "stdout", bytes: 7, lines: 3},
		},
		{
			name:    "other content is not parsed",
			header:  `{"msg_id":"c","msg_type":"execute_reply"}`,
			content: `not json`,
			want:    event{channel: "iopub", msgType: "execute_reply", msgID: "c", parent: "req-1"},
		},
		{name: "bad header", header: `[`, content: `{}`, wantErr: true},
		{name: "bad status", header: `{"msg_type":"status"}`, content: `[`, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &wire.Message{Header: []byte(tc.header), ParentHeader: []byte(parent), Content: []byte(tc.content)}
			got, err := parseEvent("iopub", m)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestWorkloads(t *testing.T) {
	// What Python's print(i) for i in range(n) writes, built the slow way.
	var b strings.Builder
	for i := range 1234 {
		fmt.Fprintln(&b, i)
	}
	if w := shortLines(1234); w.bytes != b.Len() || w.lines != 1234 {
		t.Errorf("shortLines(1234) = %d bytes, %d lines; want %d, 1234", w.bytes, w.lines, b.Len())
	}
	if w := bigWrites(3); w.bytes != 3*(1<<20+1) || w.lines != 3 || !strings.Contains(w.code, "range(3)") {
		t.Errorf("bigWrites(3) = %+v", w)
	}
}

func TestEndpoint(t *testing.T) {
	for _, tc := range []struct {
		c    connFile
		want string
	}{
		{connFile{IP: "127.0.0.1", Transport: "tcp"}, "tcp://127.0.0.1:5555"},
		{connFile{IP: "/run/k", Transport: "ipc"}, "ipc:///run/k-5555"},
	} {
		if got := tc.c.endpoint(5555); got != tc.want {
			t.Errorf("endpoint(%+v) = %q, want %q", tc.c, got, tc.want)
		}
	}
}
