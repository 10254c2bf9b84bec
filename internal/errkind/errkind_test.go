package errkind_test

import (
	"errors"
	"fmt"
	"testing"

	"quire/internal/errkind"
)

func TestKindsSurviveWrapping(t *testing.T) {
	base := errkind.WithReason(errkind.Invalid, "x is a directory, not a file", "bad type", errors.New("EISDIR /secret/path"))
	wrapped := fmt.Errorf("get x: %w", base)
	if errkind.Of(wrapped) != errkind.Invalid || !errkind.Is(wrapped, errkind.Invalid) {
		t.Fatalf("kind lost through wrapping: %v", errkind.Of(wrapped))
	}
	msg, reason := errkind.Message(wrapped)
	if msg != "x is a directory, not a file" || reason != "bad type" {
		t.Fatalf("Message = %q, %q", msg, reason)
	}
	for _, err := range []error{errors.New("open /etc/shadow: permission denied"), errkind.New(errkind.Internal, "detail", nil), nil} {
		if msg, _ := errkind.Message(err); msg != "Unhandled error" {
			t.Errorf("Message(%v) = %q leaks detail", err, msg)
		}
	}
	if errkind.Is(nil, errkind.Internal) {
		t.Error("Is(nil, Internal) = true")
	}
	if errkind.NotFound.String() != "not found" || errkind.Kind(99).String() != "kind(99)" {
		t.Error("String")
	}
}
