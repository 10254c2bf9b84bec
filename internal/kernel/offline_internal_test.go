package kernel

import (
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"

	"quire/internal/kernel/wire"
)

// TestOfflineDropDead: a restart removes the buffered "dead" statuses of
// the killed process and keeps everything else, output first of all.
func TestOfflineDropDead(t *testing.T) {
	msg := func(typ string, content any) *wire.Message {
		m, err := wire.NewMessage(typ, "s", "u", content, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	b := offlineBuf{max: 1 << 20}
	log := slog.New(slog.DiscardHandler)
	for _, it := range []struct {
		session, ch string
		m           *wire.Message
	}{
		{"a", "iopub", msg("stream", map[string]any{"name": "stdout", "text": "0\n"})},
		{"a", "iopub", msg("status", map[string]any{"execution_state": "dead"})},
		{"b", "iopub", msg("status", map[string]any{"execution_state": "dead"})},
		{"a", "iopub", msg("status", map[string]any{"execution_state": "idle"})},
		{"a", "shell", msg("execute_reply", map[string]any{"status": "ok"})},
	} {
		b.add(it.session, it.ch, it.m, log)
	}
	b.dropDead()
	var got []string
	for _, it := range b.take("a") {
		got = append(got, it.channel+"/"+it.msg.Type()+"/"+statusOf(it.msg))
	}
	want := []string{"iopub/stream/", "iopub/status/idle", "shell/execute_reply/"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("session a after dropDead (-want +got):\n%s", diff)
	}
	if rest := b.take("b"); len(rest) != 0 || b.size != 0 {
		t.Errorf("session b keeps %d messages, size %d; want none", len(rest), b.size)
	}
}
