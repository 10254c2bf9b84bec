package membudget

import (
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"quire/internal/errkind"
)

func TestAcquire(t *testing.T) {
	b := New(100, Options{Option: "--max-request-memory"})
	r1, err := b.Acquire(60)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Acquire(50); !errkind.Is(err, errkind.Retry) {
		t.Fatalf("over the budget: %v, want a Retry error", err)
	}
	if _, err := b.Acquire(101); !errkind.Is(err, errkind.TooLarge) {
		t.Fatalf("bigger than the whole budget: %v, want TooLarge", err)
	} else if msg, _ := errkind.Message(err); !strings.Contains(msg, "--max-request-memory") {
		t.Errorf("message %q does not name the option", msg)
	}
	r2, err := b.Acquire(40)
	if err != nil {
		t.Fatalf("exactly filling the budget: %v", err)
	}
	if b.Used() != 100 {
		t.Errorf("used %d, want 100", b.Used())
	}
	r1()
	r1() // twice is once
	if b.Used() != 40 {
		t.Errorf("after one release: used %d, want 40", b.Used())
	}
	r2()
	if b.Used() != 0 {
		t.Errorf("after both: used %d, want 0", b.Used())
	}
	// Charges under Free pass even when the budget is full.
	f := New(100, Options{Free: 10})
	full, _ := f.Acquire(100)
	if rel, err := f.Acquire(9); err != nil {
		t.Errorf("a charge under Free was refused: %v", err)
	} else {
		rel()
	}
	if _, err := f.Acquire(10); err == nil {
		t.Error("a charge of Free bytes passed a full budget")
	}
	full()
	var nilBudget *Budget
	if rel, err := nilBudget.Acquire(1 << 40); err != nil {
		t.Errorf("nil budget refused: %v", err)
	} else {
		rel()
	}
}

func TestOnIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		b := New(100, Options{OnIdle: func() { calls.Add(1) }, IdleDelay: time.Second, IdleMin: 50})

		// A small burst does not call the hook.
		r, _ := b.Acquire(10)
		r()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if n := calls.Load(); n != 0 {
			t.Fatalf("hook ran %d times after a small burst", n)
		}

		// A large burst does, once the delay has passed with nothing in flight.
		r1, _ := b.Acquire(30)
		r2, _ := b.Acquire(30)
		r1()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if n := calls.Load(); n != 0 {
			t.Fatalf("hook ran while a request was in flight")
		}
		r2()
		time.Sleep(500 * time.Millisecond)
		// A request arriving within the delay postpones the hook…
		r3, _ := b.Acquire(5)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if n := calls.Load(); n != 0 {
			t.Fatalf("hook ran though a request came within the delay")
		}
		// …to the end of the next idle delay.
		r3()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if n := calls.Load(); n != 1 {
			t.Fatalf("hook ran %d times after the burst, want 1", n)
		}
		// The burst has been accounted for.
		r4, _ := b.Acquire(10)
		r4()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if n := calls.Load(); n != 1 {
			t.Fatalf("hook ran %d times, want still 1", n)
		}
	})
}
