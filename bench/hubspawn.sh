#!/bin/bash
# usage: bench/hubspawn.sh quire|jsu N  (from the repository root, after make build)
#
# Spawns N users' servers one after the other under Debian's JupyterHub 3.0
# (SimpleLocalProcessSpawner, dummy authenticator, CHP on 127.0.0.1:18700-
# 18702) with either bin/quire singleuser or jupyterhub-singleuser, then
# prints the Hub's own spawn → ready times ("took X seconds to start": from
# Spawner.start until the health check answered) and the total VmRSS of the
# servers 3 s after the last became ready. A one-off script, not yet part of
# the Go harness.
set -u
kind=$1; n=$2
d=$(mktemp -d /tmp/quire-hubbench-$kind.XXXX); mkdir -p $d/home
if [ $kind = quire ]; then cmd="['$PWD/bin/quire', 'singleuser']"; else cmd="['/usr/bin/jupyterhub-singleuser']"; fi
cat > $d/c.py <<EOC
c.JupyterHub.ip = '127.0.0.1'
c.JupyterHub.port = 18700
c.JupyterHub.hub_ip = '127.0.0.1'
c.JupyterHub.hub_port = 18701
c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:18702'
c.ConfigurableHTTPProxy.pid_file = '$d/proxy.pid'
c.JupyterHub.db_url = 'sqlite:///$d/hub.sqlite'
c.JupyterHub.cookie_secret_file = '$d/cs'
c.JupyterHub.authenticator_class = 'dummy'
c.JupyterHub.spawner_class = 'simple'
c.SimpleLocalProcessSpawner.home_dir_template = '$d/home/{username}'
c.Spawner.cmd = $cmd
c.Spawner.args = ['--allow-root'] if '$kind' == 'jsu' else []
c.JupyterHub.services = [{'name': 'probe', 'api_token': 'probe-0123456789abcdef0123456789abcdef', 'admin': True}]
EOC
cd $d
NODE_PATH=/usr/share/nodejs PATH=/usr/bin:/bin jupyterhub -f $d/c.py > $d/hub.log 2>&1 &
hubpid=$!
for i in $(seq 100); do curl -sf http://127.0.0.1:18700/hub/api >/dev/null && break; sleep 0.2; done
T="Authorization: token probe-0123456789abcdef0123456789abcdef"
for i in $(seq $n); do
  u=u$i; mkdir -p $d/home/$u
  curl -s -o /dev/null -X POST -H "$T" http://127.0.0.1:18700/hub/api/users/$u
  curl -s -o /dev/null -X POST -H "$T" http://127.0.0.1:18700/hub/api/users/$u/server
  for j in $(seq 300); do
    curl -s -H "$T" http://127.0.0.1:18700/hub/api/users/$u | grep -q '"ready": *true' && break; sleep 0.1
  done
done
sleep 3
rss=0; cnt=0
for p in $(pgrep -P $hubpid); do
  c=$(tr '\0' ' ' < /proc/$p/cmdline); case "$c" in *configurable-http-proxy*|*node*) continue;; esac
  r=$(awk '/VmRSS/{print $2}' /proc/$p/status); rss=$((rss+r)); cnt=$((cnt+1))
done
echo "$kind: $cnt servers, total RSS $((rss/1024)) MiB"
grep -o "took [0-9.]* seconds to start" $d/hub.log | awk '{print $2}' | sort -n | awk '{a[NR]=$1} END {print "spawn→ready (Hub): n=" NR " median " a[int((NR+1)/2)] " s, max " a[NR] " s"}'
kill -INT $hubpid; wait $hubpid
