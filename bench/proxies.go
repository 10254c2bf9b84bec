package main

import (
	"context"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"quire/internal/deployrecipe"
	"quire/internal/testca"
)

// The proxies scenario puts each reverse proxy of docs/deploy in front of
// Quire, configured by the recipe's own tested block (read and framed by
// internal/deployrecipe, as TestProxy does), TLS at the proxy, and times
// the kernel execute round trip and the large notebook GET through it,
// beside the same figures straight to Quire (plain HTTP on loopback, and
// Quire's own TLS) and straight to jupyter_server, in the same run.

// deployDocs is docs/deploy as seen from the repository root, where
// `go run ./bench` runs.
const deployDocs = "docs/deploy"

// proxyPath is one way to reach Quire in the proxies scenario.
type proxyPath struct {
	name   string // row label
	recipe string // docs/deploy recipe (its proxy); "" for direct
	tls    bool   // direct: Quire's own --tls self-signed
}

var proxyPaths = []proxyPath{
	{name: "direct, plain HTTP on loopback"},
	{name: "direct, Quire's own TLS (--tls self-signed)", tls: true},
	{name: "Apache 2.4 (apache.md), TLS at the proxy", recipe: "apache"},
	{name: "nginx (nginx.md), TLS at the proxy", recipe: "nginx"},
	{name: "Caddy (caddy.md), TLS at the proxy", recipe: "caddy"},
	{name: "HAProxy (haproxy.md), TLS at the proxy", recipe: "haproxy"},
}

// proxyMetrics are the rows of one path: execute p50, p99, notebook GET.
func proxyMetrics(cfg config, p proxyPath) []metric {
	size := strconv.FormatFloat(float64(cfg.nbBytes)/1e6, 'g', 3, 64) + " MB"
	first := p.name != proxyPaths[0].name // jupyter_server has only the plain direct rows
	return []metric{
		{name: "proxies: execute `pass` p50, " + p.name, unit: millis, q: 0.5, firstOnly: first},
		{name: "proxies: execute `pass` p99, " + p.name, unit: millis, q: 0.99, firstOnly: first},
		{name: "proxies: " + size + " notebook GET (content=1), " + p.name, unit: millis, p90: true, firstOnly: first},
	}
}

func proxiesScenario(cfg config) scenario {
	var ms []metric
	for _, p := range proxyPaths {
		ms = append(ms, proxyMetrics(cfg, p)...)
	}
	quireRounds := 0
	return scenario{
		name: "proxies",
		about: fmt.Sprintf("%d rounds; in each, for every path (in reverse order every other round) a fresh Quire (the proxies': started with the recipe's own quire command line, "+
			"plus the harness's --token, --root-dir, --data-dir) and one kernel; the proxy runs the recipe's tested block from docs/deploy "+
			"(internal/deployrecipe, as TestProxy) on loopback with a certificate of the harness's own CA for notebooks.example.org; "+
			"the client speaks TLS to the proxy (Apache: its Basic login, the recipe's user header), HTTP/1.1 to Quire direct; "+
			"per path %d execute_request `pass` over the channels WebSocket (v1 offered) after %d warm-ups, timed as kernel-exec; "+
			"then the notebook PUT direct, one untimed GET through the path (connection and TLS session set up), %d timed GETs (content=1); "+
			"jupyter_server: direct rows only; a proxy not installed reads \"not run\"; -quick runs only direct and nginx",
			cfg.proxyRounds, cfg.execIters, cfg.execWarm, cfg.nbRuns),
		metrics: ms,
		rounds:  cfg.proxyRounds,
		run: func(ctx context.Context, e *env, sp spec) (samples, error) {
			s := make(samples)
			order := make([]int, len(proxyPaths))
			for i := range order {
				order[i] = i
			}
			if sp.name == "Quire" {
				// Every other round in reverse, so a drift in the machine's
				// load does not always favour the same paths.
				if quireRounds%2 == 1 {
					slices.Reverse(order)
				}
				quireRounds++
			}
			for _, i := range order {
				p := proxyPaths[i]
				rows := proxyMetrics(e.cfg, p)
				if i > 0 && sp.name != "Quire" {
					continue // jupyter_server: direct only (the rows are firstOnly)
				}
				if i > 0 && e.cfg.quick && p.recipe != "nginx" {
					for _, m := range rows {
						s.skip(m.name) // -quick: direct and nginx only, to stay short
					}
					continue
				}
				if p.recipe != "" {
					bin := deployrecipe.Bins[p.recipe]
					if _, err := os.Stat(bin); err != nil {
						e.observe(fmt.Sprintf("proxies: %s not run: %s is not installed (make deps-apt installs it)", p.recipe, bin))
						for _, m := range rows {
							s.skip(m.name)
						}
						continue
					}
				}
				if err := proxyPathRound(ctx, e, sp, p, rows, s); err != nil {
					return s, fmt.Errorf("%s: %w", p.name, err)
				}
			}
			return s, nil
		},
	}
}

// proxyPathRound measures one path: Quire (with the recipe's command line
// for a proxy), one kernel, the proxy, then execute and GET through it.
func proxyPathRound(ctx context.Context, e *env, sp spec, p proxyPath, rows []metric, s samples) error {
	nb, err := e.notebook()
	if err != nil {
		return err
	}
	switch {
	case p.tls:
		sp = withArgs(sp, "--tls", "self-signed")
		sp.tls = true
	case p.recipe != "":
		if sp, err = recipeSpec(sp, p.recipe); err != nil {
			return err
		}
	}
	k, err := startKernels(ctx, e, sp, 1)
	if err != nil {
		return err
	}
	defer k.abort(ctx)
	k.wss[0].close()
	srv, id := k.srv, k.ids[0]

	// The notebook, saved straight to Quire.
	const nbPath = "/api/contents/big.ipynb"
	body := append(append([]byte(`{"type":"notebook","content":`), nb.json...), '}')
	if _, err := srv.client.expect(ctx, http.MethodPut, nbPath, body, largeTimeout, http.StatusCreated, http.StatusOK); err != nil {
		return err
	}

	via := srv // what the client talks to: Quire, or the proxy in front
	if p.recipe != "" {
		if via, err = startRecipeProxy(ctx, e, p.recipe, srv); err != nil {
			return err
		}
		defer via.client.close()
	}

	ws, err := dialKernel(ctx, via, id, true)
	if err != nil {
		return err
	}
	var lat []float64
	for i := range e.cfg.execWarm + e.cfg.execIters {
		d, err := execute(ctx, ws, "pass", execTimeout, nil)
		if err != nil {
			ws.close()
			return fmt.Errorf("execute %d: %w", i+1, err)
		}
		if i >= e.cfg.execWarm {
			lat = append(lat, ms(d))
		}
	}
	ws.close()
	s[rows[0].name] = append(s[rows[0].name], lat...)
	s[rows[1].name] = append(s[rows[1].name], lat...)

	for i := -1; i < e.cfg.nbRuns; i++ { // -1: untimed, sets up the connection
		r, err := via.client.expectScratch(ctx, http.MethodGet, nbPath+"?content=1", nil, largeTimeout, http.StatusOK)
		if err != nil {
			return fmt.Errorf("notebook GET %d: %w", i+1, err)
		}
		if i < 0 {
			if err := checkNotebook(r.body, nb); err != nil {
				return fmt.Errorf("notebook GET: %w", err)
			}
			continue
		}
		s.add(rows[2].name, ms(r.took))
	}
	return k.finish(ctx)
}

// recipeSpec is sp (Quire) started with the options of the recipe's
// quire command line, its --port replaced by the harness's.
func recipeSpec(sp spec, recipe string) (spec, error) {
	args, err := deployrecipe.QuireArgs(deployDocs, recipe+".md", "quire", "--port 8888", "--port @PORT@")
	if err != nil {
		return sp, err
	}
	cmd := sp.command
	sp.command = func(l launch) ([]string, []string) {
		argv, env := cmd(l)
		for _, a := range args {
			argv = append(argv, strings.ReplaceAll(a, "@PORT@", strconv.Itoa(l.port)))
		}
		return argv, env
	}
	for i, a := range args {
		if a == "--base-url" && i+1 < len(args) {
			sp.base = strings.TrimSuffix(args[i+1], "/")
		}
	}
	return sp, nil
}

// proxyUser is the Apache recipe's Basic login (a user its Quire command
// line allows).
const proxyUser, proxyPass = "alice", "alice-bench-pw"

// startRecipeProxy starts the recipe's proxy in front of srv and returns
// a view of srv through it: its URL is the proxy's public one, its client
// speaks TLS to the proxy trusting the harness's CA.
func startRecipeProxy(ctx context.Context, e *env, recipe string, srv *server) (*server, error) {
	// Not under e.tmp: the proxy, as nobody, could not reach a directory
	// inside the harness's private one.
	dir, err := os.MkdirTemp("", "quire-bench-proxy-"+recipe+"-")
	if err != nil {
		return nil, err
	}
	e.cleanup.add(func() { os.RemoveAll(dir) }) // runs after the proxy's stop, added later
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(srv.url) // http://127.0.0.1:PORT/jupyter
	if err != nil {
		return nil, err
	}
	r := &deployrecipe.Run{Docs: deployDocs, Dir: dir, Port: strconv.Itoa(port), QuirePort: u.Port()}
	pool, err := issueCert(r)
	if err != nil {
		return nil, err
	}
	var conf string
	var args []string
	switch recipe {
	case "apache":
		r.Htpasswd = filepath.Join(dir, "htpasswd")
		sum := sha1.Sum([]byte(proxyPass))
		if err := os.WriteFile(r.Htpasswd, []byte(proxyUser+":{SHA}"+base64.StdEncoding.EncodeToString(sum[:])+"\n"), 0o600); err != nil {
			return nil, err
		}
		conf, err = deployrecipe.Apache(r)
	case "nginx":
		conf, err = deployrecipe.Nginx(r, "127.0.0.1:8888", "127.0.0.1:"+r.QuirePort)
	case "caddy":
		conf, err = deployrecipe.Caddy(r)
	case "haproxy":
		conf, err = deployrecipe.HAProxy(r)
	default:
		err = fmt.Errorf("no recipe %q", recipe)
	}
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir, recipe+".conf")
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	switch recipe {
	case "apache":
		args = deployrecipe.ApacheArgs(r, file)
	case "nginx":
		args = deployrecipe.NginxArgs(r, file)
	case "caddy":
		args = deployrecipe.CaddyArgs(r, file)
	case "haproxy":
		args = deployrecipe.HAProxyArgs(r, file)
	}
	if err := runProxy(ctx, e, recipe, r, args); err != nil {
		return nil, err
	}

	public := "https://" + deployrecipe.PublicName + ":" + r.Port
	c := newClient(public+u.Path, srv.token)
	d := &net.Dialer{Timeout: 5 * time.Second}
	c.tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, "127.0.0.1:"+r.Port)
	}
	c.tr.TLSClientConfig = &tls.Config{RootCAs: pool, ServerName: deployrecipe.PublicName}
	c.origin = public
	if recipe == "apache" {
		c.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(proxyUser+":"+proxyPass))
	}
	via := &server{name: srv.name + " via " + recipe, url: c.base, token: srv.token, client: c}
	// Ready when the proxy passes requests on to Quire.
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, body, err := c.get(ctx, "/api/status", 2*time.Second)
		if err == nil && st == http.StatusOK {
			return via, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			logs, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			return nil, fmt.Errorf("%s does not reach Quire: status %d %.200s %v; error.log: %s", recipe, st, body, err, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runProxy starts the proxy's binary in the foreground, as nobody when the
// harness is root, and waits until its port accepts connections. It is
// stopped by the run's cleanup, or when the harness dies.
func runProxy(ctx context.Context, e *env, recipe string, r *deployrecipe.Run, args []string) error {
	for _, sub := range deployrecipe.Dirs {
		if err := os.MkdirAll(filepath.Join(r.Dir, sub), 0o700); err != nil {
			return err
		}
	}
	logf, err := os.Create(filepath.Join(r.Dir, "output.log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(deployrecipe.Bins[recipe], args...)
	cmd.Dir = r.Dir
	home := filepath.Join(r.Dir, "home")
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + home, "XDG_DATA_HOME=" + home, "XDG_CONFIG_HOME=" + home, "TMPDIR=" + home}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if os.Geteuid() == 0 {
		const nobody = 65534
		err := filepath.WalkDir(r.Dir, func(path string, _ os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, nobody, nobody)
		})
		if err != nil {
			logf.Close()
			return err
		}
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: nobody, Gid: nobody}
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", recipe, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(exited) }()
	stop := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(stopGrace):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // workers that outlived their parent
	}
	e.cleanup.add(stop)
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-exited:
			out, _ := os.ReadFile(filepath.Join(r.Dir, "output.log"))
			logs, _ := os.ReadFile(filepath.Join(r.Dir, "error.log"))
			return fmt.Errorf("%s exited at start: %s %s", recipe, out, logs)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+r.Port, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening after 20s: %v", recipe, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// issueCert makes a CA and a certificate of it for the public name, writes
// them as the recipe's files (certificate, key, both in one) into r.Dir,
// and returns the pool that trusts the CA.
func issueCert(r *deployrecipe.Run) (*x509.CertPool, error) {
	ca, err := testca.New("Quire bench proxy CA")
	if err != nil {
		return nil, err
	}
	is, err := ca.Issue(testca.Leaf{Names: []string{deployrecipe.PublicName}})
	if err != nil {
		return nil, err
	}
	f, err := is.Write(r.Dir, "cert")
	if err != nil {
		return nil, err
	}
	r.Cert, r.Key, r.Combined = f.Cert, f.Key, f.Combined
	return ca.Pool, nil
}
