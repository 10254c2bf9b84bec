package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"quire/internal/s3gw"
)

// contentsS3Scenario runs the contents workload twice in one run: on
// Quire's disk store and on its S3 store against a loopback versitygw
// (posix backend, same disk), alternating fs, S3, fs, S3. The rows give
// each store's medians and the S3 ÷ disk factor, whose goals are the S3
// issue's: PUT and GET ≤ 1.5×, listing ≤ 3×. Only Quire runs it
// (jupyter_server has no S3 store); without versitygw it is skipped
// ("not run"), or fails under make (QUIRE_TEST_S3_REQUIRED=1).
func contentsS3Scenario(cfg config) scenario {
	size := fmt.Sprintf("%.3g MB", float64(cfg.nbBytes)/1e6)
	type row struct {
		key  string
		name string
		goal float64
	}
	rows := []row{
		{"put", size + " notebook PUT", 1.5},
		{"get", size + " notebook GET (content=1)", 1.5},
		{"get0", size + " notebook GET (content=0)", 0},
		{"list", fmt.Sprintf("list %d files (content=1)", cfg.listFiles), 3},
		{"create", "create small file (PUT)", 0},
		{"del", "delete small file", 0},
	}
	var metrics []metric
	for _, r := range rows {
		metrics = append(metrics,
			metric{name: "disk store: " + r.name, unit: millis, p90: true, firstOnly: true},
			metric{name: "S3 store: " + r.name, unit: millis, p90: true, firstOnly: true},
			metric{name: "S3 ÷ disk: " + r.name, unit: factor, goal: r.goal, own: true, firstOnly: true})
	}
	floorName := fmt.Sprintf("S3 listing floor (ListObjectsV2 alone, %d keys)", cfg.listFiles)
	metrics = append(metrics,
		metric{name: floorName, unit: millis, p90: true, firstOnly: true},
		metric{name: "S3 listing floor ÷ disk store listing", unit: factor, own: true, firstOnly: true},
		metric{name: "S3 store listing ÷ S3 listing floor (Quire's share)", unit: factor, own: true, firstOnly: true})
	names := func(prefix string) contentsNames {
		return contentsNames{put: prefix + rows[0].name, get: prefix + rows[1].name, get0: prefix + rows[2].name,
			list: prefix + rows[3].name, create: prefix + rows[4].name, del: prefix + rows[5].name}
	}
	return scenario{
		name: "contents-s3",
		about: fmt.Sprintf("Quire only: the contents workload (as in contents) on the disk store and on the S3 store "+
			"(versitygw %s, posix backend on the same disk, loopback), alternating disk, S3, disk, S3 in one run; "+
			"S3 ÷ disk is the ratio of the medians", "v1.8.0"),
		metrics: metrics,
		rounds:  1,
		solo:    true,
		run: func(ctx context.Context, e *env, sp spec) (samples, error) {
			bin := s3gw.Binary()
			if bin == "" {
				if s3gw.Required() {
					return nil, fmt.Errorf("versitygw not found (QUIRE_TEST_VERSITYGW or .tools/versitygw)")
				}
				fmt.Fprintln(e.log, "bench: contents-s3 skipped: versitygw not installed (make bench installs it)")
				return nil, nil
			}
			nb, err := e.notebook()
			if err != nil {
				return nil, err
			}
			dir, err := os.MkdirTemp(e.tmp, "s3-")
			if err != nil {
				return nil, err
			}
			g, err := s3gw.Start(ctx, bin, filepath.Join(dir, "gw"))
			if err != nil {
				return nil, err
			}
			defer g.Stop()
			s := make(samples)
			add := func(name string, v float64) { s.add(name, v) }
			for pass := range 2 {
				// disk
				root, err := contentsRoot(e.tmp, e.cfg.listFiles)
				if err != nil {
					return nil, err
				}
				if err := runOne(ctx, e, sp, root, nb, add, names("disk store: ")); err != nil {
					return s, fmt.Errorf("disk store: %w", err)
				}
				// S3: a fresh bucket, its objects made as files in the
				// posix backend, as the disk root's are.
				bucket := fmt.Sprintf("bench-%d", pass)
				if err := g.MakeBucket(bucket); err != nil {
					return s, err
				}
				broot := filepath.Join(g.Dir, bucket)
				if err := fillContentsRoot(broot, e.cfg.listFiles); err != nil {
					return s, err
				}
				s3sp := withEnv(withArgs(sp, "--contents-store", "s3://"+bucket, "--s3-endpoint", g.Endpoint(), "--s3-path-style", "--s3-region", "us-east-1"),
					"AWS_ACCESS_KEY_ID="+g.Access, "AWS_SECRET_ACCESS_KEY="+g.Secret)
				if err := runOne(ctx, e, s3sp, broot, nb, add, names("S3 store: ")); err != nil {
					return s, fmt.Errorf("S3 store: %w", err)
				}
				if err := listFloor(ctx, g, bucket, e.cfg.listFiles, e.cfg.listRuns, func(v float64) { add(floorName, v) }); err != nil {
					return s, fmt.Errorf("S3 listing floor: %w", err)
				}
			}
			if d, f := s["disk store: "+rows[3].name], s[floorName]; len(d) > 0 && len(f) > 0 {
				s.add("S3 listing floor ÷ disk store listing", median(slices.Clone(f))/median(slices.Clone(d)))
			}
			if q, f := s["S3 store: "+rows[3].name], s[floorName]; len(q) > 0 && len(f) > 0 {
				s.add("S3 store listing ÷ S3 listing floor (Quire's share)", median(slices.Clone(q))/median(slices.Clone(f)))
			}
			for _, r := range rows {
				d, q := s["disk store: "+r.name], s["S3 store: "+r.name]
				if len(d) == 0 || len(q) == 0 {
					continue
				}
				s.add("S3 ÷ disk: "+r.name, median(slices.Clone(q))/median(slices.Clone(d)))
			}
			return s, nil
		},
	}
}

// listFloor times what any S3 client pays for the listing the scenario
// asks Quire for, with no Quire: the same ListObjectsV2 pages (prefix
// list/, delimiter "/", 1000 keys a page, no owners) through minio-go's
// iterator, as the store asks for them,
// against the same gateway, each run timed from the first request to the
// last page read. It is the floor under the S3 store's listing row: the
// difference is Quire's share.
func listFloor(ctx context.Context, g *s3gw.Gateway, bucket string, want, runs int, add func(float64)) error {
	u, err := url.Parse(g.Endpoint())
	if err != nil {
		return err
	}
	c, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(g.Access, g.Secret, ""),
		Region: "us-east-1", BucketLookup: minio.BucketLookupPath})
	if err != nil {
		return err
	}
	for range runs {
		start := time.Now()
		n := 0
		f := false
		for oi := range c.ListObjectsIter(ctx, bucket, minio.ListObjectsOptions{Prefix: "list/", MaxKeys: 1000, FetchOwner: &f}) {
			if oi.Err != nil {
				return oi.Err
			}
			n++
		}
		add(ms(time.Since(start)))
		if n < want {
			return fmt.Errorf("listed %d keys under list/, want %d", n, want)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// runOne starts sp over root, runs the contents workload and stops it.
func runOne(ctx context.Context, e *env, sp spec, root string, nb *notebook, add func(string, float64), n contentsNames) error {
	srv, err := startServer(ctx, e, sp, root)
	if err != nil {
		return err
	}
	defer srv.stop()
	if err := contentsRuns(ctx, e, srv.client, nb, root, add, n); err != nil {
		return err
	}
	return srv.stop()
}
