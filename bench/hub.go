package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The hub scenario runs Debian's JupyterHub 3.0 with configurable-http-proxy
// on loopback (SimpleLocalProcessSpawner, dummy authenticator) and spawns
// users' servers through its REST API: Quire's users get `quire
// singleuser`, jupyter_server's get Debian's `jupyterhub-singleuser`
// (jupyter_server 1.23), from the same Hub in the same run. It reads the
// Hub's own spawn → ready time ("User u took X seconds to start": from
// Spawner.start until the health check answered and the route was added)
// and the VmRSS of the servers once all of a round's are ready.

const (
	hubBin   = "/usr/bin/jupyterhub"
	jsuBin   = "/usr/bin/jupyterhub-singleuser"
	hubProbe = "probe-0123456789abcdef0123456789abcdef" // the admin service's token, for this loopback Hub only
)

// Goals (issue #19): a spawn at most 1/10 of jupyterhub-singleuser's, a
// server's memory at most 1/5.
const (
	hubSpawnGoal = 0.1
	hubRSSGoal   = 0.2
)

func hubScenario(cfg config) scenario {
	mSpawn := metric{name: "hub: spawn → ready, as the Hub logs it", unit: millis, p90: true, goal: hubSpawnGoal}
	mTotal := metric{name: fmt.Sprintf("hub: VmRSS of %d users' servers, total", cfg.hubUsers), unit: mebis, goal: hubRSSGoal}
	mPer := metric{name: "hub: VmRSS per user's server", unit: mebis, goal: hubRSSGoal}
	// The Hub's own floor: what a spawn costs with a server that does
	// nothing (a net/http hello-world answering 200 at once), same Hub,
	// same round; no goal.
	mFloor := metric{name: "hub: spawn → ready, Go net/http hello-world floor (same Hub, same round)", unit: millis}
	mOver := metric{name: "hub: spawn − floor (the server's own share, per-round medians)", unit: millis}
	var hb *benchHub // one Hub for the whole scenario, started by its first round
	var hubErr error
	round := map[string]int{}
	return scenario{
		name: "hub",
		about: fmt.Sprintf("%d rounds; one JupyterHub 3.0 (Debian) + configurable-http-proxy on loopback ports the harness picks, "+
			"SimpleLocalProcessSpawner (a pre-spawn hook gives Quire's users `quire singleuser`, jupyter_server's `jupyterhub-singleuser --allow-root`), "+
			"dummy authenticator; per round and server, %d users created and their servers started one after another through the Hub's REST API "+
			"(POST /hub/api/users/<u>/server, then GET /hub/api/users/<u> until ready); spawn → ready is the Hub's own log line "+
			"(\"took X seconds to start\": Spawner.start to health check answered and route added), one sample per user; "+
			"%v after the last is ready, VmRSS of each server process (found by JUPYTERHUB_USER among the Hub's children; no kernels run) summed; "+
			"then %d spawns of a Go net/http hello-world (answers 200 at once, no version check, no activity) from the same Hub, the floor of what the Hub itself costs; "+
			"then every server stopped through the API before the next round; goals: spawn ≤ %.1f×, RSS ≤ %.1f× jupyterhub-singleuser's; "+
			"skipped when JupyterHub or configurable-http-proxy is not installed",
			cfg.hubRounds, cfg.hubUsers, cfg.idleWait, max(1, cfg.hubUsers/4), hubSpawnGoal, hubRSSGoal),
		metrics: []metric{mSpawn, mTotal, mPer, mFloor, mOver},
		rounds:  cfg.hubRounds,
		run: func(ctx context.Context, e *env, sp spec) (samples, error) {
			s := make(samples)
			if missing := hubMissing(); missing != "" {
				e.observe("hub: not run: " + missing + " is not installed (make deps-apt installs it)")
				for _, m := range []metric{mSpawn, mTotal, mPer, mFloor, mOver} {
					s.skip(m.name)
				}
				return s, nil
			}
			if hb == nil && hubErr == nil {
				if _, hubErr = e.hello.spec(ctx, e); hubErr == nil { // builds the floor's binary
					hb, hubErr = startBenchHub(ctx, e, e.hello.bin)
				}
			}
			if hubErr != nil {
				return nil, hubErr
			}
			prefix := "q"
			if sp.name != "Quire" {
				prefix = "j"
			}
			round[prefix]++
			var users []string
			for i := range e.cfg.hubUsers {
				users = append(users, fmt.Sprintf("%s%d-%d", prefix, round[prefix], i+1))
			}
			defer hb.stopAll(users)
			var own []float64
			for _, u := range users {
				secs, err := hb.spawn(ctx, u)
				if err != nil {
					return nil, err
				}
				s.add(mSpawn.name, secs*1000)
				own = append(own, secs*1000)
			}
			if err := sleep(ctx, e.cfg.idleWait); err != nil {
				return nil, err
			}
			total, n, err := hb.rss(users)
			if err != nil {
				return nil, err
			}
			if n != len(users) {
				return nil, fmt.Errorf("found %d of %d servers among the Hub's children", n, len(users))
			}
			s.add(mTotal.name, total)
			s.add(mPer.name, total/float64(n))
			// The floor, after the round's servers (so it meets the same
			// Hub state): a quarter as many spawns.
			var floors []string
			for i := range max(1, e.cfg.hubUsers/4) {
				floors = append(floors, fmt.Sprintf("f%s%d-%d", prefix, round[prefix], i+1))
			}
			defer hb.stopAll(floors)
			var fl []float64
			for _, u := range floors {
				secs, err := hb.spawn(ctx, u)
				if err != nil {
					return nil, fmt.Errorf("hello-world floor: %w", err)
				}
				s.add(mFloor.name, secs*1000)
				fl = append(fl, secs*1000)
			}
			s.add(mOver.name, median(own)-median(fl))
			return s, nil
		},
	}
}

// hubMissing names the first program the scenario needs that is absent.
func hubMissing() string {
	for _, p := range []string{hubBin, jsuBin} {
		if _, err := os.Stat(p); err != nil {
			return p
		}
	}
	if _, err := exec.LookPath("configurable-http-proxy"); err != nil {
		return "configurable-http-proxy"
	}
	return ""
}

// benchHub is a running JupyterHub with its proxy.
type benchHub struct {
	url    string // the proxy's public URL
	log    string // the Hub's log file
	pid    int
	client *http.Client
}

func startBenchHub(ctx context.Context, e *env, hello string) (*benchHub, error) {
	dir, err := os.MkdirTemp(e.tmp, "hub-")
	if err != nil {
		return nil, err
	}
	var ports [3]int
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return nil, err
		}
	}
	homes := filepath.Join(dir, "home")
	// The pre-spawn hook picks the server by the user's name and makes
	// its home (SimpleLocalProcessSpawner does not).
	conf := fmt.Sprintf(`import os
c.JupyterHub.ip = '127.0.0.1'
c.JupyterHub.port = %d
c.JupyterHub.hub_ip = '127.0.0.1'
c.JupyterHub.hub_port = %d
c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:%d'
c.ConfigurableHTTPProxy.pid_file = %q
c.JupyterHub.db_url = 'sqlite:///' + %q
c.JupyterHub.cookie_secret_file = %q
c.JupyterHub.authenticator_class = 'dummy'
c.JupyterHub.spawner_class = 'simple'
c.SimpleLocalProcessSpawner.home_dir_template = %q
c.Spawner.http_timeout = 120
c.Spawner.start_timeout = 120
c.JupyterHub.last_activity_interval = 3600
c.JupyterHub.services = [{'name': 'probe', 'api_token': %q, 'admin': True}]
def pick_server(spawner):
    os.makedirs(spawner.home_dir, exist_ok=True)
    if spawner.user.name.startswith('f'):
        spawner.cmd = ['/bin/sh', '-c', 'p=${JUPYTERHUB_SERVICE_URL##*:}; exec %s -port ${p%%%%/*}']
        spawner.args = []
    elif spawner.user.name.startswith('q'):
        spawner.cmd, spawner.args = [%q, 'singleuser'], []
    else:
        spawner.cmd, spawner.args = [%q], ['--allow-root']
c.Spawner.pre_spawn_hook = pick_server
`, ports[0], ports[1], ports[2], filepath.Join(dir, "proxy.pid"), filepath.Join(dir, "hub.sqlite"),
		filepath.Join(dir, "cookie_secret"), filepath.Join(homes, "{username}"), hubProbe, hello, e.cfg.quire, jsuBin)
	cfgPath := filepath.Join(dir, "jupyterhub_config.py")
	if err := os.WriteFile(cfgPath, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "hub.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(hubBin, "-f", cfgPath)
	cmd.Dir = dir
	cmd.Env = append(baseEnv(), "HOME="+dir, "NODE_PATH=/usr/share/nodejs", "PATH=/usr/bin:/bin")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start JupyterHub: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(exited) }()
	hb := &benchHub{url: "http://127.0.0.1:" + strconv.Itoa(ports[0]), log: logPath, pid: cmd.Process.Pid,
		client: &http.Client{Timeout: 30 * time.Second}}
	e.cleanup.add(func() {
		// SIGINT: the Hub stops its servers and its proxy, then exits.
		pids := hb.children()
		_ = syscall.Kill(cmd.Process.Pid, syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		for _, p := range pids { // servers run in sessions of their own
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-exited:
			return nil, fmt.Errorf("JupyterHub exited at start:\n%s", tailFile(logPath, 20))
		case <-ctx.Done():
			return nil, ctx.Err()
		default:
		}
		if code, _, err := hb.api("GET", "", nil); err == nil && code == 200 {
			return hb, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("JupyterHub did not answer in 60 s:\n%s", tailFile(logPath, 20))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// api calls the Hub's REST API as the admin service.
func (hb *benchHub) api(method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, hb.url+"/hub/api"+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "token "+hubProbe)
	resp, err := hb.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b, err
}

var tookRe = regexp.MustCompile(`User (\S+) took ([0-9.]+) seconds to start`)

// spawn creates user u, starts the server, waits until the Hub calls it
// ready and returns the Hub's own spawn → ready time, in seconds.
func (hb *benchHub) spawn(ctx context.Context, u string) (float64, error) {
	if code, b, err := hb.api("POST", "/users/"+u, nil); err != nil || code != 201 {
		return 0, fmt.Errorf("create user %s: %d %s %v", u, code, b, err)
	}
	if code, b, err := hb.api("POST", "/users/"+u+"/server", nil); err != nil || (code != 201 && code != 202) {
		return 0, fmt.Errorf("start %s's server: %d %s %v\n%s", u, code, b, err, tailFile(hb.log, 20))
	}
	deadline := time.Now().Add(150 * time.Second)
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		// The log line comes when the spawn is complete (ready, routed).
		if data, err := os.ReadFile(hb.log); err == nil {
			for _, m := range tookRe.FindAllSubmatch(data, -1) {
				if string(m[1]) == u {
					return strconv.ParseFloat(string(m[2]), 64)
				}
			}
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%s's server not ready after 150 s:\n%s", u, tailFile(hb.log, 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopAll stops the users' servers and waits (up to a minute) until the
// Hub says none runs.
func (hb *benchHub) stopAll(users []string) {
	for _, u := range users {
		_, _, _ = hb.api("DELETE", "/users/"+u+"/server", nil)
	}
	deadline := time.Now().Add(time.Minute)
	for _, u := range users {
		for time.Now().Before(deadline) {
			code, b, err := hb.api("GET", "/users/"+u, nil)
			var m struct {
				Servers map[string]json.RawMessage `json:"servers"`
			}
			if err == nil && code == 200 && json.Unmarshal(b, &m) == nil && len(m.Servers) == 0 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

type hubChild struct {
	pid  int
	user string // JUPYTERHUB_USER
}

// children are the Hub's child processes that are users' servers.
func (hb *benchHub) children() []hubChild {
	ents, _ := os.ReadDir("/proc")
	var out []hubChild
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(stat, ')')
		fs := strings.Fields(string(stat[i+1:]))
		if len(fs) < 2 || fs[1] != strconv.Itoa(hb.pid) { // field 4: ppid
			continue
		}
		environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(environ, []byte{0}) {
			if u, ok := strings.CutPrefix(string(kv), "JUPYTERHUB_USER="); ok {
				out = append(out, hubChild{pid: pid, user: u})
			}
		}
	}
	return out
}

// rss sums the VmRSS (MiB) of the users' servers and says how many it
// found.
func (hb *benchHub) rss(users []string) (float64, int, error) {
	want := map[string]bool{}
	for _, u := range users {
		want[u] = true
	}
	var total float64
	n := 0
	for _, c := range hb.children() {
		if !want[c.user] {
			continue
		}
		b, err := (&server{name: c.user, pid: c.pid, exited: make(chan struct{})}).procStatus("VmRSS")
		if err != nil {
			return 0, 0, err
		}
		total += b / (1 << 20)
		n++
	}
	if n == 0 {
		return 0, 0, errors.New("no server process found among the Hub's children")
	}
	return total, n, nil
}

// tailFile returns the last n lines of a file, indented.
func tailFile(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "    " + string(bytes.Join(lines, []byte("\n    ")))
}
