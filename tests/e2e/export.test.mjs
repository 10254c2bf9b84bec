// The nbconvert exports ("Download as"): every format downloads under the
// notebook's name, and the HTML export of an untrusted notebook, whether
// viewed from the server or opened as a downloaded file (where only its
// <meta> CSP guards it), shows the outputs and runs no script. A trusted
// notebook's export, opened from a file, does run its script: the control
// that shows the probes would see script if any ran.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  PNG_16PX, code, display, launchBrowser, loggedIn, markdown, newPage, notebook, scriptDialogs, screenshot, startServer,
  stream, trustWithCli, writeNotebook,
} from "./harness.mjs";

const probes = (tag) => [
  markdown(`# Export ${tag}\n\nSome *markdown* text.\n\n<script>window.__xss=1;alert(1)</script>\n\n<img src=x onerror="window.__xss=1">`),
  code("show()", [
    stream(`stream-${tag}\n`),
    display({ "text/html": `<b class="html-out">html-${tag}</b><script>window.__xss=1;alert(2)</script><img src=x onerror="window.__xss=1">`, "text/plain": "html fallback" }),
    display({ "application/javascript": "window.__xss=1;alert(3);document.body.dataset.ran='js'", "text/plain": `js-fallback-${tag}` }),
    display({ "image/png": PNG_16PX, "text/plain": "figure" }),
  ], 1),
];

let browser, server, page, log, dir;

before(async () => {
  browser = await launchBrowser();
  server = await startServer({
    name: "export",
    setup(root) {
      writeNotebook(root, "untrusted.ipynb", notebook(probes("untrusted")));
      writeNotebook(root, "trusted.ipynb", notebook(probes("trusted")));
    },
  });
  trustWithCli(server, "trusted.ipynb");
  ({ page, log } = await loggedIn(browser, server));
  dir = mkdtempSync(join(tmpdir(), "quire-export-"));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** download clicks a link to the export and saves what downloads. */
async function download(format, nb) {
  const url = `${server.url}nbconvert/${format}/${nb}?download=true`;
  const [dl] = await Promise.all([
    page.waitForEvent("download"),
    page.evaluate((href) => {
      const a = document.createElement("a");
      a.href = href;
      document.body.appendChild(a);
      a.click();
      a.remove();
    }, url),
  ]);
  const path = join(dir, dl.suggestedFilename());
  await dl.saveAs(path);
  return { name: dl.suggestedFilename(), path };
}

/** shows checks that a page shows the untrusted notebook's content. */
async function assertShowsOutputs(p, tag) {
  const text = await p.locator("body").innerText();
  for (const want of [`Export ${tag}`, "Some markdown text.", "show()", `stream-${tag}`, `html-${tag}`, `js-fallback-${tag}`]) {
    assert.ok(text.includes(want), `page lacks ${JSON.stringify(want)}:\n${text}`);
  }
  assert.equal(await p.locator("h1").first().innerText(), `Export ${tag}`, "markdown not rendered");
  assert.equal(await p.locator("b", { hasText: `html-${tag}` }).count(), 1, "the HTML output is not shown as HTML");
  const widths = await p.locator('img[src^="data:image/png"]').evaluateAll((imgs) => imgs.map((i) => i.naturalWidth));
  assert.deepEqual(widths, [16], "the PNG output is not shown");
}

async function assertNoScript(p, plog) {
  assert.equal(await p.evaluate(() => window.__xss), undefined, "window.__xss set");
  assert.equal(await p.evaluate(() => document.body.dataset.ran), undefined, "the JavaScript output ran");
  assert.deepEqual(scriptDialogs(plog), [], "dialogs: " + JSON.stringify(plog.dialogs));
  assert.equal(await p.locator("script").count(), 0, "a <script> element is in the page");
}

test("every format downloads under the notebook's name", async () => {
  const want = {
    script: ["untrusted.py", (s) => s.includes("# # Export untrusted") && s.includes("show()")],
    markdown: ["untrusted.zip", (s) => s.startsWith("PK")],
    html: ["untrusted.html", (s) => s.startsWith("<!DOCTYPE html>")],
    notebook: ["untrusted.ipynb", (s) => JSON.parse(s).cells.length === 2],
  };
  for (const [format, [name, check]] of Object.entries(want)) {
    const got = await download(format, "untrusted.ipynb");
    assert.equal(got.name, name, format);
    assert.ok(check(readFileSync(got.path, "latin1")), `${format}: unexpected content`);
  }
});

test("the HTML export of an untrusted notebook, viewed from the server, shows outputs and runs no script", async () => {
  const { page: p, log: plog } = await newPage(browser, page.context());
  await p.goto(`${server.url}nbconvert/html/untrusted.ipynb?download=false`);
  await assertShowsOutputs(p, "untrusted");
  await assertNoScript(p, plog);
  await screenshot(p, "export-untrusted-served.png");
  await p.close();
});

test("the downloaded HTML of an untrusted notebook, opened as a file, shows outputs and runs no script", async () => {
  const got = await download("html", "untrusted.ipynb");
  const { page: p, log: plog } = await newPage(browser);
  const requests = [];
  p.on("request", (r) => { if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) requests.push(r.url()); });
  await p.goto("file://" + got.path);
  await assertShowsOutputs(p, "untrusted");
  await assertNoScript(p, plog);
  assert.deepEqual(requests, [], "the export loads from the network");
  await p.context().close();
});

test("control: a trusted notebook's HTML export runs its script when opened as a file", async () => {
  const got = await download("html", "trusted.ipynb");
  const { page: p } = await newPage(browser);
  await p.goto("file://" + got.path);
  await p.waitForFunction(() => document.body.dataset.ran === "js", null, { timeout: 5000 });
  assert.equal(await p.evaluate(() => window.__xss), 1);
  await p.context().close();
});

test("a page never gets the export without logging in", async () => {
  const { page: p } = await newPage(browser);
  await p.goto(`${server.url}nbconvert/html/untrusted.ipynb?download=false`);
  assert.match(p.url(), /\/login\?next=/);
  await p.context().close();
  assert.deepEqual(log.pageErrors, []);
});

test("the File menu's Download as entries save and download each export", async () => {
  const { page: p } = await newPage(browser, page.context());
  await p.goto(`${server.url}notebooks/untrusted.ipynb`);
  const file = p.locator('[data-testid="menu-file"]');
  await file.waitFor({ timeout: 20_000 });
  const list = p.locator('[data-testid="menu-list"][data-menu="File"]');
  for (const [format, name] of [["html", "untrusted.html"], ["script", "untrusted.py"], ["notebook", "untrusted.ipynb"], ["markdown", "untrusted.zip"]]) {
    await file.click();
    await list.waitFor({ timeout: 5_000 });
    const [dl] = await Promise.all([p.waitForEvent("download"), list.locator(`[data-command="file:download-${format}"]`).click()]);
    assert.equal(dl.suggestedFilename(), name, format);
    const path = join(dir, "menu-" + name);
    await dl.saveAs(path);
    if (format === "html") assert.ok(readFileSync(path, "utf8").includes("Export untrusted"));
  }
  await p.close();
});
