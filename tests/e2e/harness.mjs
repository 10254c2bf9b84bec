// Harness for Quire's browser tests: starts the real binary in a throwaway
// directory (password-only auth, isolated data/runtime/trust dirs and HOME),
// launches Debian's chromium through playwright-core, logs in through the
// real login page and records everything that would betray injected script
// (dialogs, page errors, console errors, CSP violations).
import { spawn, execFileSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = join(here, "artifacts");
export const QUIRE_BIN = process.env.QUIRE_BIN || resolve(here, "../../bin/quire");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
export const PASSWORD = "correct horse battery staple";

/** Generous timeouts: kernel start takes seconds on a loaded 2-core CI box. */
export const T = { short: 10_000, kernel: 60_000, long: 120_000 };

mkdirSync(ARTIFACTS, { recursive: true });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const logNames = new Map();

/**
 * startServer runs bin/quire on a free port in a fresh temp dir.
 * opts.password (default PASSWORD) goes through QUIRE_PASSWORD; opts.token
 * (default none: a password alone disables the generated token) adds
 * --token. Returns {url, origin, root, dir, home, dataDir, trustDir, token,
 * stderrPath, stop()}.
 */
export async function startServer(opts = {}) {
  const name = opts.name || "server";
  const dir = mkdtempSync(join(tmpdir(), "quire-e2e-"));
  const root = join(dir, "root");
  const home = join(dir, "home");
  const runtime = join(dir, "runtime");
  const dataDir = join(dir, "data");
  const trustDir = join(dir, "trust");
  for (const d of [root, home, runtime, dataDir, trustDir]) mkdirSync(d, { recursive: true });
  if (opts.setup) await opts.setup(root);
  const password = opts.password === undefined ? PASSWORD : opts.password;
  const args = [
    "--port", "0", "--ip", "127.0.0.1", "--no-browser",
    "--root-dir", root, "--runtime-dir", runtime, "--data-dir", dataDir, "--trust-data-dir", trustDir,
    "--shutdown-wait", "2s", "--kernel-shutdown-wait", "2s",
  ];
  if (opts.token !== undefined) args.push("--token", opts.token);
  if (opts.args) args.push(...opts.args);
  const env = {
    PATH: process.env.PATH || "/usr/bin:/bin",
    HOME: home,
    LANG: "C.UTF-8",
    XDG_DATA_HOME: join(home, ".local", "share"),
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_RUNTIME_DIR: runtime,
    JUPYTER_RUNTIME_DIR: runtime,
    JUPYTER_DATA_DIR: join(home, ".local", "share", "jupyter"),
    JUPYTER_CONFIG_DIR: join(home, ".jupyter"),
    IPYTHONDIR: join(home, ".ipython"),
  };
  if (opts.env) Object.assign(env, opts.env);
  if (password) env.QUIRE_PASSWORD = password;
  // One log per server name, overwritten by the next run (a second server
  // of the same name in one process gets -2, -3…).
  const n = (logNames.get(name) || 0) + 1;
  logNames.set(name, n);
  const stderrPath = join(ARTIFACTS, `${name}${n > 1 ? "-" + n : ""}.stderr.log`);
  const errFd = openSync(stderrPath, "w");
  const child = spawn(QUIRE_BIN, args, { env, stdio: ["ignore", "pipe", errFd], detached: false });
  closeSync(errFd);
  child.stdout.on("data", () => {});
  const exited = new Promise((r) => child.once("exit", r));

  const file = join(runtime, `quire-${child.pid}.json`);
  const deadline = Date.now() + 20_000;
  let info = null;
  while (!info) {
    if (child.exitCode !== null) throw new Error(`quire exited (${child.exitCode}): ${readFileSync(stderrPath, "utf8")}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`quire did not start: ${readFileSync(stderrPath, "utf8")}`);
    }
    if (existsSync(file)) {
      try {
        info = JSON.parse(readFileSync(file, "utf8"));
      } catch {
        /* being written */
      }
    }
    if (!info) await sleep(25);
  }
  const u = new URL(info.url);
  const origin = `${u.protocol}//${u.host}`;
  const url = origin + (info.base_url || "/");
  // Wait for the public GET {base}api to answer.
  for (;;) {
    try {
      const r = await fetch(url + "api");
      if (r.ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error("GET /api never answered");
    await sleep(25);
  }
  let stopped = false;
  return {
    url, origin, root, dir, home, dataDir, trustDir, token: opts.token, password, stderrPath, child,
    stderr: () => readFileSync(stderrPath, "utf8"),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const t = setTimeout(() => child.kill("SIGKILL"), 8_000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** trustWithCli signs a notebook with `quire trust` and the server's trust dir. */
export function trustWithCli(server, relPath) {
  execFileSync(QUIRE_BIN, ["trust", "--trust-data-dir", server.trustDir, join(server.root, relPath)], {
    env: { PATH: process.env.PATH, HOME: server.home },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    ],
  });
}

/**
 * newPage opens a 1280×800 page in a context (a new one unless given) and
 * records dialogs (dismissed; beforeunload accepted), page errors, console
 * errors and CSP violations, from every frame. Returns {context, page, log}.
 */
export async function newPage(browser, context) {
  const ctx = context || (await browser.newContext({ viewport: { width: 1280, height: 800 } }));
  const page = await ctx.newPage();
  const log = watch(page);
  return { context: ctx, page, log };
}

/** watch attaches the recorders to a page; see newPage. */
export function watch(page) {
  const log = { dialogs: [], pageErrors: [], consoleErrors: [], csp: [], console: [] };
  page.on("dialog", async (d) => {
    if (d.type() === "beforeunload") {
      log.dialogs.push({ type: "beforeunload", message: d.message(), accepted: true });
      await d.accept().catch(() => {});
      return;
    }
    log.dialogs.push({ type: d.type(), message: d.message() });
    await d.dismiss().catch(() => {});
  });
  page.on("pageerror", (e) => log.pageErrors.push(String(e && e.stack ? e.stack : e)));
  page.on("console", (m) => {
    const text = m.text();
    const loc = m.location();
    const entry = { type: m.type(), text, url: loc && loc.url };
    log.console.push(entry);
    if (m.type() === "error") log.consoleErrors.push(entry);
    if (/Content Security Policy/i.test(text)) log.csp.push(entry);
  });
  return log;
}

/** nonBeforeunloadDialogs: the dialogs injected script could have opened. */
export function scriptDialogs(log) {
  return log.dialogs.filter((d) => d.type !== "beforeunload");
}

/** login drives the real login page; the page ends on whatever it redirects to. */
export async function login(page, server, password = server.password, next) {
  const target = server.url + "login" + (next ? "?next=" + encodeURIComponent(next) : "");
  await page.goto(target);
  await page.locator("input#password").fill(password);
  await Promise.all([page.waitForNavigation({ timeout: T.short }), page.locator('form button[type="submit"]').click()]);
}

/** loggedIn: a new page in a logged-in context, at the file browser. */
export async function loggedIn(browser, server) {
  const r = await newPage(browser);
  await login(r.page, server);
  await r.page.locator('[data-testid="file-list"]').waitFor({ timeout: T.short });
  return r;
}

// ---- URLs and locators ------------------------------------------------

export function encodePath(p) {
  return p.split("/").filter(Boolean).map(encodeURIComponent).join("/");
}
export const treeUrl = (server, p = "") => server.url + "tree" + (p ? "/" + encodePath(p) : "");
export const notebookUrl = (server, p) => server.url + "notebooks/" + encodePath(p);

export const tid = (page, id) => page.locator(`[data-testid="${id}"]`);
export const row = (page, name) => page.locator(`[data-testid="file-row"][data-name="${cssString(name)}"]`);
export const cells = (page) => page.locator('[data-testid="notebook"] [data-testid="cell"]');
export const cell = (page, i) => cells(page).nth(i);

/** cssString escapes a value for a double-quoted CSS attribute selector. */
export function cssString(s) {
  return s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\a ");
}

/** openDialog: the currently open modal <dialog> (any testid). */
export const openDialog = (page) => page.locator("dialog[open]");

/** answerDialog clicks the button named `label` (a string or RegExp) in the open dialog. */
export async function answerDialog(page, label, textbox) {
  const dlg = openDialog(page).last();
  await dlg.waitFor({ timeout: T.short });
  if (textbox !== undefined) await dlg.getByRole("textbox").fill(textbox);
  const name = typeof label === "string" ? new RegExp("^\\s*" + escapeRe(label) + "\\s*$", "i") : label;
  await dlg.getByRole("button", { name }).click();
  await dlg.waitFor({ state: "detached", timeout: T.short }).catch(() => {});
}

export function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** poll calls fn until it returns a truthy value, or throws with msg. */
export async function poll(fn, msg, timeout = T.short, every = 50) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms: ${msg} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await sleep(every);
  }
}

/** textOf: a locator's textContent ('' when absent). */
export async function textOf(loc) {
  return (await loc.count()) ? ((await loc.first().textContent()) ?? "") : "";
}

/** expectText waits until the locator (first match) contains the text or matches the RegExp. */
export async function expectText(loc, want, timeout = T.short) {
  const test = (s) => (want instanceof RegExp ? want.test(s) : s.includes(want));
  return poll(async () => {
    const n = await loc.count();
    for (let i = 0; i < n; i++) {
      const s = (await loc.nth(i).textContent()) ?? "";
      if (test(s)) return s || true;
    }
    return false;
  }, `text ${want} in ${loc}`, timeout);
}

// ---- notebook helpers ----------------------------------------------------

/** openNotebook navigates to a notebook and waits for its cells (and, by default, an idle kernel). */
export async function openNotebook(page, server, p, { kernel = true } = {}) {
  await page.goto(notebookUrl(server, p));
  await tid(page, "notebook").waitFor({ timeout: T.short });
  await cells(page).first().waitFor({ timeout: T.short });
  if (kernel) await waitKernel(page, "idle");
}

export async function waitKernel(page, state = "idle", timeout = T.kernel) {
  await page.locator(`[data-testid="kernel-status"][data-state="${state}"]`).waitFor({ timeout });
}

/**
 * setSource replaces cell i's source: clicks its editor, selects all and
 * types (keyboard.type, one key at a time) or inserts the text at once
 * (insertText: no auto-indent or bracket closing). Inserts cells below the
 * last one until cell i exists.
 */
export async function setSource(page, i, source, { type = false } = {}) {
  while ((await cells(page).count()) <= i) {
    const n = await cells(page).count();
    await cell(page, n - 1).locator('[data-testid="cell-prompt"]').click().catch(() => cell(page, n - 1).click());
    await tid(page, "insert-below").click();
    await poll(async () => (await cells(page).count()) > n, "a cell was inserted");
  }
  const input = cell(page, i).locator('[data-testid="cell-input"]');
  await input.click();
  await poll(async () => (await tid(page, "notebook").getAttribute("data-mode")) === "edit", "edit mode after clicking the cell");
  // The editor's code loads after the first cells show: Ctrl-A needs it.
  await input.locator(".cm-editor.cm-focused").waitFor({ timeout: T.short });
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  if (type) await page.keyboard.type(source);
  else await page.keyboard.insertText(source);
  await expectText(input, source.split("\n")[0]);
}

/** runCell sets cell i's source, presses Shift-Enter and waits until its prompt shows a count. */
export async function runCell(page, i, source, opts = {}) {
  await setSource(page, i, source, opts);
  await page.keyboard.press("Shift+Enter");
  if (opts.wait === false) return;
  await expectText(cell(page, i).locator('[data-testid="cell-prompt"]'), /\[\d+\]/, opts.timeout ?? T.kernel);
}

export const outputs = (page, i) => cell(page, i).locator('[data-testid="output"]');

// ---- fixtures -------------------------------------------------------------

/** A 1×1 red PNG. */
export const PNG_1PX =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mP4z8AAAAMBAQD3A0FDAAAAAElFTkSuQmCC";
/** A 16×16 blue square PNG (visible in screenshots). */
export const PNG_16PX =
  "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAFklEQVR42mOQizpBEmIY1TCqYfhqAAB1t0AQ8dIAngAAAABJRU5ErkJggg==";

const cellId = () => randomUUID().replace(/-/g, "").slice(0, 12);
const lines = (s) => {
  const parts = s.split("\n");
  return parts.map((l, i) => (i < parts.length - 1 ? l + "\n" : l)).filter((l) => l !== "");
};

export const code = (source, outputs = [], execution_count = null) => ({
  id: cellId(), cell_type: "code", metadata: {}, execution_count, source: lines(source), outputs,
});
export const markdown = (source) => ({ id: cellId(), cell_type: "markdown", metadata: {}, source: lines(source) });
export const stream = (text, name = "stdout") => ({ output_type: "stream", name, text: lines(text) });
export const display = (data, metadata = {}) => ({ output_type: "display_data", data, metadata });
export const result = (data, execution_count, metadata = {}) => ({ output_type: "execute_result", data, metadata, execution_count });
export const error = (ename, evalue, traceback = [`${ename}: ${evalue}`]) => ({ output_type: "error", ename, evalue, traceback });

/** notebook builds an nbformat v4.5 document. */
export function notebook(cells, metadata = {}) {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "python3", display_name: "Python 3 (ipykernel)", language: "python" },
      language_info: { name: "python" },
      ...metadata,
    },
    cells,
  };
}

/** writeNotebook writes nb (an object) as root/relPath, creating folders. */
export function writeNotebook(root, relPath, nb) {
  const f = join(root, relPath);
  mkdirSync(dirname(f), { recursive: true });
  writeFileSync(f, JSON.stringify(nb, null, 1) + "\n");
  return f;
}

export function readNotebook(root, relPath) {
  return JSON.parse(readFileSync(join(root, relPath), "utf8"));
}

export function sha256File(path) {
  return new Promise((res, rej) => {
    const h = createHash("sha256");
    createReadStream(path).on("data", (d) => h.update(d)).on("end", () => res(h.digest("hex"))).on("error", rej);
  });
}

/**
 * dumpOnFail runs fn; if it throws, saves artifacts/fail-<name>.png and
 * prints each cell's text (notebook pages) before rethrowing.
 */
export async function dumpOnFail(page, name, fn) {
  try {
    return await fn();
  } catch (e) {
    await screenshot(page, `fail-${name}.png`).catch(() => {});
    const texts = await cells(page).allTextContents().catch(() => []);
    texts.forEach((t, i) => console.error(`# ${name}: cell ${i}: ${JSON.stringify(t.slice(0, 300))}`));
    const state = await tid(page, "kernel-status").getAttribute("data-state", { timeout: 1000 }).catch(() => "?");
    console.error(`# ${name}: kernel-status ${state}`);
    throw e;
  }
}

export async function screenshot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, name), fullPage: false });
}

/** makePng encodes a w×h RGB image (pixel(x, y) → [r, g, b]) as base64 PNG. */
export function makePng(w, h, pixel) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) raw.set(pixel(x, y), y * (w * 3 + 1) + 1 + x * 3);
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0)),
  ]).toString("base64");
}

let crcTable;
function crc32(buf) {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
