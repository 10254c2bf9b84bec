// Quire as JupyterHub's single-user server, in a browser: log in at the
// Hub's login page, land in Quire's file browser, run a cell; and, on the
// origin every user's server shares, a trusted notebook output of Bob's,
// opened by Alice (a Hub admin, so she may use Bob's server too), tries to
// call Alice's own server with her cookies and fails: the output runs in
// the sandboxed output frame, whose opaque origin gets no cookies and
// cannot read answers. Needs Debian's jupyterhub and
// node-configurable-http-proxy; skipped, saying so, without them.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  QUIRE_BIN, T, cell, code, display, expectText, launchBrowser, newPage, notebook, poll, row, runCell, scriptDialogs,
  waitKernel, writeNotebook,
} from "./harness.mjs";

const HAVE_HUB = existsSync("/usr/bin/jupyterhub") && existsSync("/usr/bin/configurable-http-proxy");

// The probe Bob's trusted output runs: read Alice's files, write one, read
// cookies, reach the page around it. Every outcome lands in #probe.
const PROBE = `<p>bob-output</p><script>
(async () => {
  const r = {};
  try { r.cookie = document.cookie; } catch (e) { r.cookie = "blocked:" + e.name; }
  try { r.parent = String(parent.document.cookie); } catch (e) { r.parent = "blocked:" + e.name; }
  try { const x = await fetch("/user/alice/api/contents", { credentials: "include" }); r.read = x.status + ":" + (await x.text()).slice(0, 60); }
  catch (e) { r.read = "blocked:" + e.name; }
  try {
    const x = await fetch("/user/alice/api/contents/pwned.txt", { method: "PUT", credentials: "include",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ type: "file", format: "text", content: "pwned" }) });
    r.write = String(x.status);
  } catch (e) { r.write = "blocked:" + e.name; }
  try { const x = await fetch("/user/alice/api/contents", { method: "POST", credentials: "include", mode: "no-cors", body: "x" }); r.blind = x.type; }
  catch (e) { r.blind = "blocked:" + e.name; }
  try { top.__xss = 1; } catch (e) {}
  const pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = JSON.stringify(r); document.body.append(pre);
})();
</script>`;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on("error", reject);
  });
}

let browser, hub, hubURL, homes, hubLog = "";
// A user name the Hub escapes in URLs (quote(name, safe='@~')).
const ZOE = "zoë+test@ex.org";
const ZOE_PREFIX = "/user/zo%C3%AB%2Btest@ex.org/";

async function startHub() {
  const dir = mkdtempSync(join(tmpdir(), "quire-e2e-hub-"));
  homes = join(dir, "home");
  for (const u of ["alice", "bob", ZOE]) mkdirSync(join(homes, u), { recursive: true, mode: 0o700 });
  writeNotebook(join(homes, "alice"), "mine.ipynb", notebook([code("")]));
  writeNotebook(join(homes, ZOE), "zö.ipynb", notebook([code("")]));
  writeNotebook(join(homes, "bob"), "evil.ipynb", notebook([code("HTML(...)", [display({ "text/html": PROBE, "text/plain": "probe" })], 1)]));
  // Bob trusts his notebook (his Jupyter data dir, under his HOME).
  execFileSync(QUIRE_BIN, ["trust", join(homes, "bob", "evil.ipynb")], {
    env: { PATH: process.env.PATH, HOME: join(homes, "bob") }, stdio: ["ignore", "pipe", "pipe"],
  });
  const [port, api, hubPort] = [await freePort(), await freePort(), await freePort()];
  hubURL = `http://127.0.0.1:${port}`;
  const conf = `
c.JupyterHub.ip = '127.0.0.1'
c.JupyterHub.port = ${port}
c.JupyterHub.hub_ip = '127.0.0.1'
c.JupyterHub.hub_port = ${hubPort}
c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:${api}'
c.ConfigurableHTTPProxy.pid_file = '${join(dir, "proxy.pid")}'
c.JupyterHub.db_url = 'sqlite:///${join(dir, "hub.sqlite")}'
c.JupyterHub.cookie_secret_file = '${join(dir, "cookie_secret")}'
c.JupyterHub.authenticator_class = 'dummy'
c.Authenticator.admin_users = {'alice'}
c.JupyterHub.spawner_class = 'simple'
c.SimpleLocalProcessSpawner.home_dir_template = '${join(homes, "{username}")}'
c.Spawner.cmd = ['${QUIRE_BIN}', 'singleuser']
c.Spawner.default_url = '/lab'
c.JupyterHub.last_activity_interval = 3600
`;
  writeFileSync(join(dir, "jupyterhub_config.py"), conf);
  hub = spawn("/usr/bin/jupyterhub", ["-f", join(dir, "jupyterhub_config.py")], {
    cwd: dir, detached: true, stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_PATH: "/usr/share/nodejs", PATH: "/usr/bin:/bin:" + process.env.PATH },
  });
  hub.stdout.on("data", (d) => { hubLog += d; });
  hub.stderr.on("data", (d) => { hubLog += d; });
  await poll(async () => (await fetch(hubURL + "/hub/api").catch(() => null))?.ok, "JupyterHub answers", 60_000, 200);
}

async function hubLogin(page, user) {
  await page.goto(hubURL + "/hub/login");
  await page.locator("input#username_input").fill(user);
  await page.locator("input#password_input").fill("pw");
  await Promise.all([page.waitForNavigation({ timeout: T.short }), page.locator("#login_submit").click()]);
}

before(async () => {
  if (!HAVE_HUB) return;
  browser = await launchBrowser();
  await startHub();
});

after(async () => {
  await browser?.close();
  if (hub && hub.exitCode === null) {
    process.kill(hub.pid, "SIGINT"); // the Hub stops its servers and proxy
    await new Promise((r) => { hub.on("exit", r); setTimeout(r, 15_000); });
    try { process.kill(-hub.pid, "SIGKILL"); } catch {}
  }
});

describe("hub", { skip: HAVE_HUB ? false : "SKIPPED: jupyterhub / configurable-http-proxy not installed" }, () => {
  test("log in at the Hub, land in Quire's file browser, run a cell", async (t) => {
    const { page, context, log } = await newPage(browser);
    t.after(() => context.close());
    try {
      await hubLogin(page, "alice");
      // The Hub spawns the server and sends the browser on, through
      // Quire's OAuth dance, to the page JUPYTERHUB_DEFAULT_URL maps to.
      await page.goto(hubURL + "/hub/spawn/alice");
      await page.waitForURL(/\/user\/alice\/tree\/$/, { timeout: T.kernel });
      await row(page, "mine.ipynb").waitFor({ timeout: T.short });
      await row(page, "mine.ipynb").dblclick();
      await page.waitForURL(/\/user\/alice\/notebooks\/mine\.ipynb$/, { timeout: T.short });
      await waitKernel(page);
      await runCell(page, 0, "print(6*7)");
      await expectText(cell(page, 0).locator('[data-testid="output"]'), /42/, T.kernel);
      assert.deepEqual(scriptDialogs(log), []);
    } catch (e) {
      console.error(hubLog.slice(-6000));
      throw e;
    }
  });

  test("a user whose name the Hub escapes: file browser, notebook, cell, cookies on the escaped path", async (t) => {
    const { page, context, log } = await newPage(browser);
    t.after(() => context.close());
    try {
      await hubLogin(page, ZOE);
      await page.goto(hubURL + "/hub/spawn/" + encodeURIComponent(ZOE));
      const esc = ZOE_PREFIX.replace(/[.+%]/g, "\\$&");
      await page.waitForURL(new RegExp(esc + "tree/$"), { timeout: T.kernel });
      await row(page, "zö.ipynb").waitFor({ timeout: T.short });
      await row(page, "zö.ipynb").dblclick();
      await page.waitForURL(new RegExp(esc + "notebooks/z%C3%B6\\.ipynb$"), { timeout: T.short });
      await waitKernel(page);
      await runCell(page, 0, "import os; print(os.environ['JUPYTERHUB_USER'])");
      await expectText(cell(page, 0).locator('[data-testid="output"]'), /zoë\+test@ex\.org/, T.kernel);
      // The browser holds the server's cookies for the path as the Hub
      // spells it, and sends them there.
      const cookies = await context.cookies(hubURL + ZOE_PREFIX + "api/contents");
      const login = cookies.find((c) => c.name === "jupyterhub-user-zo%C3%AB%2Btest%40ex.org");
      assert.equal(login?.path, ZOE_PREFIX, JSON.stringify(cookies));
      assert.equal(cookies.find((c) => c.name === "_xsrf")?.path, ZOE_PREFIX, JSON.stringify(cookies));
      assert.deepEqual(scriptDialogs(log), []);
    } catch (e) {
      console.error(hubLog.slice(-6000));
      throw e;
    }
  });

  test("Bob's trusted output cannot call Alice's server on the shared origin", async (t) => {
    const { page, context, log } = await newPage(browser);
    t.after(() => context.close());
    try {
      await hubLogin(page, "alice");
      // Alice's own server knows her in this browser: a cookie at
      // /user/alice/, sent by any same-origin request to that path.
      await page.goto(hubURL + "/user/alice/tree/");
      await page.waitForURL(/\/user\/alice\/tree\/$/, { timeout: T.kernel });
      // Bob starts his server; Alice, an admin, opens his notebook there.
      const bob = await newPage(browser);
      t.after(() => bob.context.close());
      await hubLogin(bob.page, "bob");
      await bob.page.goto(hubURL + "/hub/spawn/bob");
      await bob.page.waitForURL(/\/user\/bob\/tree\/$/, { timeout: T.kernel });
      await page.goto(hubURL + "/user/bob/notebooks/evil.ipynb");
      // Not her own server: the Hub asks her to authorize it first.
      assert.equal(new URL(page.url()).pathname, "/hub/api/oauth2/authorize");
      await Promise.all([page.waitForNavigation({ timeout: T.short }), page.locator('input[type="submit"][value="Authorize"]').click()]);
      assert.equal(new URL(page.url()).pathname, "/user/bob/notebooks/evil.ipynb");
      // The output ran, inside the sandboxed frame.
      let probe;
      await poll(async () => {
        for (const f of page.frames()) {
          const txt = await f.evaluate(() => document.getElementById("probe")?.textContent).catch(() => undefined);
          if (txt) { probe = JSON.parse(txt); return true; }
        }
        return false;
      }, "the probe ran in the output frame", T.long, 200);
      t.diagnostic("probe: " + JSON.stringify(probe));
      // Control: from the page's own origin the same read succeeds, with
      // Alice's cookie for /user/alice/; only the sandbox stops the probe.
      const control = await page.evaluate(() => fetch("/user/alice/api/contents", { credentials: "include" }).then((r) => r.status));
      assert.equal(control, 200, "the control read from the page's origin");
      assert.equal(probe.cookie, "blocked:SecurityError", `frame cookies: ${JSON.stringify(probe)}`);
      assert.match(probe.parent, /^blocked:/, `parent: ${JSON.stringify(probe)}`);
      assert.match(probe.read, /^blocked:|^403:/, `read Alice's files: ${JSON.stringify(probe)}`);
      assert.match(probe.write, /^blocked:|^403$/, `write Alice's files: ${JSON.stringify(probe)}`);
      assert.ok(!existsSync(join(homes, "alice", "pwned.txt")), "the probe wrote into Alice's home");
      assert.deepEqual(readdirSync(join(homes, "alice")).filter((n) => /^untitled/i.test(n)), [], "the blind POST created a file in Alice's home");
      assert.equal(await page.evaluate(() => window.__xss), undefined, "the output reached the top page");
      assert.deepEqual(scriptDialogs(log), []);
    } catch (e) {
      console.error(hubLog.slice(-6000));
      throw e;
    }
  });
});
