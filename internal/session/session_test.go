package session_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"quire/internal/errkind"
	"quire/internal/session"
)

// fakeKernels records starts and shutdowns.
type fakeKernels struct {
	mu        sync.Mutex
	live      map[string]bool
	n         int
	shutdowns []string
	specs     map[string]bool
}

func newFake() *fakeKernels {
	return &fakeKernels{live: map[string]bool{}, specs: map[string]bool{"": true, "python3": true, "other": true}}
}

func (f *fakeKernels) Start(_ context.Context, name, _ string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.specs[name] {
		return "", errkind.New(errkind.Unavailable, fmt.Sprintf("Kernel spec %s not found", name), nil)
	}
	f.n++
	id := fmt.Sprintf("k%d", f.n)
	f.live[id] = true
	return id, nil
}

func (f *fakeKernels) Exists(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.live[id]
}

func (f *fakeKernels) Shutdown(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.live[id] {
		return errkind.New(errkind.NotFound, "no such kernel", nil)
	}
	delete(f.live, id)
	f.shutdowns = append(f.shutdowns, id)
	return nil
}

var ctx = context.Background()

func TestCreateReturnsExistingSessionForPath(t *testing.T) {
	k := newFake()
	s := session.New(k)
	a, err := s.Create(ctx, session.Request{Path: "a.ipynb", Type: "notebook", KernelName: "python3", HasKernel: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "a.ipynb" || a.KernelID != "k1" {
		t.Fatalf("session %+v", a)
	}
	b, err := s.Create(ctx, session.Request{Path: "a.ipynb", Type: "notebook", KernelName: "other", HasKernel: true})
	if err != nil || b.ID != a.ID || b.KernelID != "k1" || k.n != 1 {
		t.Fatalf("second create: %+v %v (kernels started %d)", b, err, k.n)
	}
}

func TestCreateErrors(t *testing.T) {
	k := newFake()
	s := session.New(k)
	for _, tc := range []struct {
		req  session.Request
		kind errkind.Kind
	}{
		{session.Request{Type: "notebook"}, errkind.Invalid},
		{session.Request{Path: "x.ipynb"}, errkind.Invalid},
		{session.Request{Path: "x.ipynb", Type: "notebook", KernelName: "nope", HasKernel: true}, errkind.Unavailable},
		{session.Request{Path: "x.ipynb", Type: "notebook", KernelID: "missing", HasKernel: true}, errkind.Invalid},
	} {
		if _, err := s.Create(ctx, tc.req); errkind.Of(err) != tc.kind {
			t.Errorf("Create(%+v) = %v, want kind %v", tc.req, err, tc.kind)
		}
	}
}

func TestUpdateSwitchesKernelAndShutsTheOldOneDown(t *testing.T) {
	k := newFake()
	s := session.New(k)
	a, _ := s.Create(ctx, session.Request{Path: "a.ipynb", Type: "notebook", HasKernel: true, KernelName: "python3"})
	b, err := s.Update(ctx, a.ID, session.Request{Path: "b.ipynb", KernelName: "other", HasKernel: true})
	if err != nil {
		t.Fatal(err)
	}
	if b.Path != "b.ipynb" || b.KernelID == a.KernelID {
		t.Fatalf("updated %+v", b)
	}
	if len(k.shutdowns) != 1 || k.shutdowns[0] != a.KernelID {
		t.Fatalf("old kernel not shut down: %v", k.shutdowns)
	}
	// Attach to an existing kernel by id.
	other, _ := s.Create(ctx, session.Request{Path: "c.ipynb", Type: "notebook"})
	c, err := s.Update(ctx, b.ID, session.Request{KernelID: other.KernelID, HasKernel: true})
	if err != nil || c.KernelID != other.KernelID {
		t.Fatalf("attach: %+v %v", c, err)
	}
	if _, err := s.Update(ctx, b.ID, session.Request{KernelID: "ghost", HasKernel: true}); errkind.Of(err) != errkind.Invalid {
		t.Fatalf("attach to a missing kernel: %v", err)
	}
	if _, err := s.Update(ctx, "nope", session.Request{Path: "x"}); errkind.Of(err) != errkind.NotFound {
		t.Fatalf("update missing: %v", err)
	}
}

func TestDeleteAndVanishedKernels(t *testing.T) {
	k := newFake()
	s := session.New(k)
	a, _ := s.Create(ctx, session.Request{Path: "a.ipynb", Type: "notebook"})
	if err := s.Delete(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if k.Exists(a.KernelID) {
		t.Fatal("DELETE left the kernel running")
	}
	if err := s.Delete(ctx, a.ID); errkind.Of(err) != errkind.NotFound {
		t.Fatalf("second delete: %v", err)
	}
	b, _ := s.Create(ctx, session.Request{Path: "b.ipynb", Type: "notebook"})
	k.Shutdown(ctx, b.KernelID) // the kernel goes away under the session
	if got := s.List(); len(got) != 0 {
		t.Fatalf("a session without a kernel is listed: %+v", got)
	}
	c, _ := s.Create(ctx, session.Request{Path: "c.ipynb", Type: "notebook"})
	k.Shutdown(ctx, c.KernelID)
	if err := s.Delete(ctx, c.ID); errkind.Of(err) != errkind.Gone {
		t.Fatalf("delete after the kernel vanished: %v", err)
	}
	if _, err := s.Get(c.ID); !errors.Is(err, err) || errkind.Of(err) != errkind.NotFound {
		t.Fatalf("get: %v", err)
	}
}

func TestConcurrentCreateKeepsOneSessionPerPath(t *testing.T) {
	k := newFake()
	s := session.New(k)
	var wg sync.WaitGroup
	ids := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			ss, err := s.Create(ctx, session.Request{Path: "same.ipynb", Type: "notebook"})
			if err != nil {
				t.Error(err)
			}
			ids <- ss.ID
		})
	}
	wg.Wait()
	close(ids)
	first := <-ids
	for id := range ids {
		if id != first {
			t.Fatalf("two sessions for one path: %s %s", first, id)
		}
	}
	if len(s.List()) != 1 {
		t.Fatalf("sessions: %+v", s.List())
	}
	live := 0
	for range k.live {
		live++
	}
	if live != 1 {
		t.Fatalf("%d kernels left running for one session", live)
	}
}
