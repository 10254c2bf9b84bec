package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

// hugeNotebook is the memory issue's notebook: n tiny code cells (10⁶ make
// about 94 MiB of compact JSON), the shape whose in-memory form costs the
// most per byte.
func hugeNotebook(n int) []byte {
	var b bytes.Buffer
	b.Grow(n * 100)
	b.WriteString(`{"cells":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"cell_type":"code","execution_count":%d,"id":"c%07d","metadata":{},"outputs":[],"source":"x = %d"}`, i+1, i, i)
	}
	b.WriteString(`],"metadata":{"kernelspec":{"display_name":"Python 3","language":"python","name":"python3"}},"nbformat":4,"nbformat_minor":5}`)
	return b.Bytes()
}

// hugeScenario measures the server's peak memory (VmHWM) for one PUT, one
// GET and 8 concurrent GETs of the huge notebook, each on a fresh server
// start, and its RSS some seconds after the burst. A 503 (Quire's request
// memory budget) is retried after its Retry-After, so every GET is
// answered in the end; the peak then shows what the budget holds.
func hugeScenario(cfg config) scenario {
	cells := 1_000_000
	settle := 5 * time.Second
	if cfg.quick {
		cells, settle = 10_000, 2*time.Second
	}
	const conc = 8
	mPut := metric{name: "huge notebook: peak RSS, one PUT", unit: mebis}
	mGet := metric{name: "huge notebook: peak RSS, one GET", unit: mebis}
	mConc := metric{name: fmt.Sprintf("huge notebook: peak RSS, %d concurrent GETs", conc), unit: mebis}
	mAfter := metric{name: fmt.Sprintf("huge notebook: RSS %v after the %d GETs", settle, conc), unit: mebis}
	mPutX := metric{name: "huge notebook: PUT (peak − RSS at ready) ÷ notebook size", unit: factor, goal: 4, own: true}
	mGetX := metric{name: "huge notebook: GET (peak − RSS at ready) ÷ notebook size", unit: factor, goal: 4, own: true}
	mConcT := metric{name: fmt.Sprintf("huge notebook: %d concurrent GETs, all answered", conc), unit: seconds}
	m503 := metric{name: fmt.Sprintf("huge notebook: 503s (retried) during the %d GETs", conc), unit: count}
	return scenario{
		name: "hugenotebook",
		about: fmt.Sprintf("a notebook of %d tiny code cells (no outputs), compact JSON; each measurement on a fresh server start: "+
			"VmHWM after one PUT, after one GET, after %d concurrent GETs (a 503 is retried after its Retry-After), then VmRSS %v later; "+
			"the PUT and GET peaks less the RSS at ready are also shown ÷ the notebook's size (the issue's goal: ≤ 4)",
			cells, conc, settle),
		metrics: []metric{mPut, mGet, mConc, mAfter, mPutX, mGetX, mConcT, m503},
		rounds:  1,
		run: func(ctx context.Context, e *env, sp spec) (samples, error) {
			nb := hugeNotebook(cells)
			mib := float64(len(nb)) / (1 << 20)
			e.observe(fmt.Sprintf("hugenotebook: the notebook is %.1f MiB of compact JSON with %d cells", mib, cells))
			root, err := os.MkdirTemp(e.tmp, "huge-root-")
			if err != nil {
				return nil, err
			}
			defer os.RemoveAll(root)
			body := append(append([]byte(`{"type":"notebook","content":`), nb...), '}')
			nb = nil
			const path = "/api/contents/huge.ipynb"
			s := make(samples)

			// One PUT.
			srv, err := startServer(ctx, e, sp, root)
			if err != nil {
				return nil, err
			}
			idle, err := srv.rssMiB()
			if err != nil {
				return s, err
			}
			if _, err := srv.client.expect(ctx, http.MethodPut, path, body, 20*largeTimeout, http.StatusCreated, http.StatusOK); err != nil {
				_ = srv.stop()
				return s, fmt.Errorf("PUT: %w", err)
			}
			body = nil
			put, err := srv.hwmMiB()
			if err != nil {
				return s, err
			}
			s.add(mPut.name, put)
			s.add(mPutX.name, (put-idle)/mib)
			if err := srv.stop(); err != nil {
				return s, err
			}

			// One GET.
			if srv, err = startServer(ctx, e, sp, root); err != nil {
				return s, err
			}
			if idle, err = srv.rssMiB(); err != nil {
				return s, err
			}
			if _, err := srv.client.expect(ctx, http.MethodGet, path+"?content=1", nil, 20*largeTimeout, http.StatusOK); err != nil {
				_ = srv.stop()
				return s, fmt.Errorf("GET: %w", err)
			}
			get, err := srv.hwmMiB()
			if err != nil {
				return s, err
			}
			s.add(mGet.name, get)
			s.add(mGetX.name, (get-idle)/mib)
			if err := srv.stop(); err != nil {
				return s, err
			}

			// conc concurrent GETs, each on its own connection.
			if srv, err = startServer(ctx, e, sp, root); err != nil {
				return s, err
			}
			defer srv.stop()
			t0 := time.Now()
			var wg sync.WaitGroup
			var mu sync.Mutex
			var firstErr error
			refused := 0
			for range conc {
				wg.Go(func() {
					c := newClient(srv.url, srv.token)
					defer c.close()
					n, err := getRetrying(ctx, c, path+"?content=1", 20*largeTimeout)
					mu.Lock()
					defer mu.Unlock()
					refused += n
					if err != nil && firstErr == nil {
						firstErr = err
					}
				})
			}
			wg.Wait()
			if firstErr != nil {
				return s, fmt.Errorf("concurrent GETs: %w", firstErr)
			}
			s.add(mConcT.name, time.Since(t0).Seconds())
			s.add(m503.name, float64(refused))
			peak, err := srv.hwmMiB()
			if err != nil {
				return s, err
			}
			s.add(mConc.name, peak)
			if err := sleep(ctx, settle); err != nil {
				return s, err
			}
			after, err := srv.rssMiB()
			if err != nil {
				return s, err
			}
			s.add(mAfter.name, after)
			return s, srv.stop()
		},
	}
}

// getRetrying GETs path until it is answered 200, waiting out each 503's
// Retry-After; it returns how many 503s it got.
func getRetrying(ctx context.Context, c *client, path string, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for n := 0; ; n++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
		if err != nil {
			return n, err
		}
		req.Header.Set("Authorization", "token "+c.token)
		resp, err := c.hc.Do(req)
		if err != nil {
			return n, err
		}
		var sink bytes.Buffer
		_, err = sink.ReadFrom(resp.Body)
		resp.Body.Close()
		if err != nil {
			return n, err
		}
		switch {
		case resp.StatusCode == http.StatusOK:
			return n, nil
		case resp.StatusCode != http.StatusServiceUnavailable:
			return n, fmt.Errorf("GET %s: status %d: %.300s", path, resp.StatusCode, sink.Bytes())
		case time.Now().After(deadline):
			return n, fmt.Errorf("GET %s: still 503 after %v", path, timeout)
		}
		wait, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if err != nil || wait < 1 {
			return n, fmt.Errorf("GET %s: 503 without a usable Retry-After (%q)", path, resp.Header.Get("Retry-After"))
		}
		if err := sleep(ctx, time.Duration(wait)*time.Second); err != nil {
			return n, err
		}
	}
}
