package bigbuf

import (
	"testing"
	"testing/synctest"
	"time"
)

func same(a, b []byte) bool { return cap(a) > 0 && cap(b) > 0 && &a[:1][0] == &b[:1][0] }

func TestReuse(t *testing.T) {
	const mb = 1 << 20
	cases := []struct {
		name      string
		limit     int
		put       []int // capacities given back, in order
		get       int
		wantReuse int // index into put of the buffer Get should return; -1 = fresh
		wantKept  int // buffers still kept after the Get
	}{
		{name: "small buffers are never kept", limit: 64 * mb, put: []int{MinSize - 1}, get: 100, wantReuse: -1},
		{name: "a kept buffer is reused", limit: 64 * mb, put: []int{2 * mb}, get: 2 * mb, wantReuse: 0},
		{name: "the smallest buffer that fits wins", limit: 64 * mb, put: []int{8 * mb, 3 * mb, 2 * mb}, get: 3 * mb, wantReuse: 1, wantKept: 2},
		{name: "too small buffers are not used", limit: 64 * mb, put: []int{2 * mb}, get: 3 * mb, wantReuse: -1, wantKept: 1},
		{name: "a buffer over the limit is not kept", limit: 4 * mb, put: []int{5 * mb}, get: 5 * mb, wantReuse: -1},
		{name: "the oldest buffers make room", limit: 5 * mb, put: []int{2 * mb, 2 * mb, 2 * mb}, get: 2 * mb, wantReuse: 1, wantKept: 1},
		{name: "limit 0 keeps nothing", limit: 0, put: []int{2 * mb}, get: 2 * mb, wantReuse: -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := New(tc.limit, time.Hour)
			var given [][]byte
			for _, n := range tc.put {
				b := make([]byte, n)
				given = append(given, b)
				c.Put(b)
			}
			got := c.Get(tc.get)
			if len(got) != tc.get {
				t.Fatalf("len(Get(%d)) = %d", tc.get, len(got))
			}
			reused := -1
			for i, b := range given {
				if same(got, b) {
					reused = i
				}
			}
			if reused != tc.wantReuse {
				t.Errorf("Get returned buffer %d, want %d", reused, tc.wantReuse)
			}
			if n, _ := c.Kept(); n != tc.wantKept {
				t.Errorf("kept %d buffers after Get, want %d", n, tc.wantKept)
			}
		})
	}
}

// A kept buffer is dropped once unused for the idle time, not before. The
// test runs in a synctest bubble, whose clock time.Sleep moves on at once.
func TestExpire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const idle = 20 * time.Millisecond
		c := New(64<<20, idle)
		c.Put(make([]byte, 2<<20))
		if n, size := c.Kept(); n != 1 || size != 2<<20 {
			t.Fatalf("Kept() = %d, %d after Put", n, size)
		}
		time.Sleep(idle - time.Millisecond)
		synctest.Wait()
		if n, _ := c.Kept(); n != 1 {
			t.Fatalf("Kept() = %d buffers before the idle time passed, want 1", n)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if n, size := c.Kept(); n != 0 || size != 0 {
			t.Fatalf("Kept() = %d, %d once idle; want the buffer dropped", n, size)
		}
		// The cache keeps working after it emptied.
		b := make([]byte, 2<<20)
		c.Put(b)
		if got := c.Get(2 << 20); !same(got, b) {
			t.Error("a buffer put after expiry was not reused")
		}
	})
}

func TestSetLimit(t *testing.T) {
	c := New(64<<20, time.Hour)
	c.Put(make([]byte, 2<<20))
	c.Put(make([]byte, 3<<20))
	c.SetLimit(3 << 20)
	if n, size := c.Kept(); n != 1 || size != 3<<20 {
		t.Errorf("after SetLimit(3 MiB): %d buffers, %d bytes; want the newest only", n, size)
	}
	c.SetLimit(0)
	if n, _ := c.Kept(); n != 0 {
		t.Errorf("after SetLimit(0): %d buffers kept", n)
	}
}

func TestClassSize(t *testing.T) {
	const mb = 1 << 20
	for _, tc := range []struct{ n, want int }{
		{MinSize, MinSize},
		{16 * mb, 16 * mb},
		{16*mb + 1, 20 * mb},
		{21 * mb, 24 * mb},
		{23*mb + 700*1024, 24 * mb},
		{25 * mb, 28 * mb},
		{33 * mb, 40 * mb},
	} {
		got := classSize(tc.n)
		if got != tc.want {
			t.Errorf("classSize(%d) = %d, want %d", tc.n, got, tc.want)
		}
		if got < tc.n || got > tc.n+tc.n/4 {
			t.Errorf("classSize(%d) = %d: outside [n, 1.25n]", tc.n, got)
		}
	}
}

func TestDrop(t *testing.T) {
	c := New(64<<20, time.Hour)
	c.Put(make([]byte, 2<<20))
	c.Put(make([]byte, 4<<20))
	c.Drop()
	if n, size := c.Kept(); n != 0 || size != 0 {
		t.Errorf("after Drop: %d buffers, %d bytes kept", n, size)
	}
	c.Put(make([]byte, 2<<20))
	if n, _ := c.Kept(); n != 1 {
		t.Errorf("after Drop the limit still holds: %d buffers kept, want 1", n)
	}
}

// A nil cache keeps nothing and never fails: Get allocates, Put, Drop and
// SetLimit do nothing (a service built without a cache, as in tests).
func TestNilCache(t *testing.T) {
	var c *Cache
	b := c.Get(2 * MinSize)
	if len(b) != 2*MinSize {
		t.Fatalf("Get gave %d bytes, want %d", len(b), 2*MinSize)
	}
	c.Put(b)
	c.Drop()
	c.SetLimit(1 << 30)
	if n, size := c.Kept(); n != 0 || size != 0 {
		t.Errorf("a nil cache keeps %d buffers, %d bytes", n, size)
	}
}
