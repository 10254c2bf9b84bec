package terminal_test

import (
	"strings"
	"testing"

	"quire/internal/terminal"
)

func TestParseMessage(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    terminal.Message
		wantErr string
	}{
		{in: `["stdin", "ls\r"]`, want: terminal.Message{Kind: terminal.Stdin, Text: "ls\r"}},
		{in: `["stdin", "é😀"]`, want: terminal.Message{Kind: terminal.Stdin, Text: "é😀"}},
		{in: `["stdin", ""]`, want: terminal.Message{Kind: terminal.Stdin}},
		{in: `["set_size", 24, 80]`, want: terminal.Message{Kind: terminal.SetSize, Rows: 24, Cols: 80}},
		{in: `["set_size", 24, 80, 480, 640]`, want: terminal.Message{Kind: terminal.SetSize, Rows: 24, Cols: 80}},
		{in: `["set_size", 24.0, 1000]`, want: terminal.Message{Kind: terminal.SetSize, Rows: 24, Cols: 1000}},
		{in: `["set_size", 1001, 80]`, wantErr: "rows"},
		{in: `["set_size", 24, 1e12]`, wantErr: "columns"},
		{in: `["set_size", 0, 80]`, wantErr: "rows"},
		{in: `["set_size", -3, 80]`, wantErr: "rows"},
		{in: `["set_size", 2.5, 80]`, wantErr: "rows"},
		{in: `["set_size", "24", 80]`, wantErr: "rows"},
		{in: `["set_size", 24]`, wantErr: "without rows"},
		{in: `["stdin"]`, wantErr: "without text"},
		{in: `["stdin", 5]`, wantErr: "not a string"},
		{in: `["bogus", 1]`, wantErr: "unknown message type"},
		{in: `[]`, wantErr: "empty"},
		{in: `[1]`, wantErr: "type is not a string"},
		{in: `{"stdin": "x"}`, wantErr: "not a JSON array"},
		{in: `not json`, wantErr: "not a JSON array"},
		{in: "[\"stdin\", \"\xff\"]", wantErr: "UTF-8"},
		{in: `["stdin", "a"] trailing`, wantErr: "not a JSON array"},
	} {
		got, err := terminal.ParseMessage([]byte(tc.in))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseMessage(%q) = %+v, %v; want an error about %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseMessage(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestValidName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"1", true},
		{"my_term2", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"a b", false},
		{"../x", false},
		{"a/b", false},
		{"é", false},
		{"a-b", false},
	} {
		if got := terminal.ValidName(tc.name); got != tc.want {
			t.Errorf("ValidName(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}
