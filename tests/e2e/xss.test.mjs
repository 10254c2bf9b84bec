// XSS probes. Injected script would set window.__xss / top.__xss or call
// alert(); the harness records every dialog. Untrusted notebooks must run
// no script anywhere; a trusted one runs its HTML only inside the sandboxed
// output-frame, which cannot read Quire's cookies or call its API.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  T, cell, code, display, expectText, launchBrowser, loggedIn, markdown, notebook, openNotebook, poll, row,
  scriptDialogs, startServer, stream, tid, treeUrl, trustWithCli, writeNotebook, answerDialog,
} from "./harness.mjs";

const EVIL_NAME = "<img src=x onerror=alert(1)>.ipynb";
const PLAIN_IMG = '<img src=x onerror="window.__xss=1">';
const SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20" onload="window.__xss=1;top.__xss=1">' +
  '<script>alert(1);window.__xss=1</script><rect width="40" height="20" fill="teal"/></svg>';
const TRUSTED_HTML =
  '<p>trusted-html</p><script>document.body.dataset.ran = "yes"; try { parent.document.cookie } catch(e) {} ; top.__xss = 1</script>';

let browser, server;

before(async () => {
  browser = await launchBrowser();
  server = await startServer({
    name: "xss",
    setup(root) {
      writeNotebook(root, "untrusted.ipynb", notebook([
        code("evil()", [
          display({ "text/html": "<script>window.__xss=1;alert(1)</script><b>html-ok</b>", "text/plain": "html fallback" }),
          display({ "text/html": '<img src=x onerror="window.__xss=1;alert(1)"><i>img-ok</i>', "text/plain": "img fallback" }),
          display({ "image/svg+xml": SVG, "text/plain": "svg fallback" }),
          display({ "application/javascript": "window.__xss=1;alert(1)", "text/plain": "js fallback" }),
          display({ "text/plain": PLAIN_IMG }),
          stream('<script>window.__xss=1</script>\n'),
        ], 1),
        markdown(
          "[click](javascript:window.__xss=1)\n\n" +
          '<img src=x onerror="window.__xss=1;alert(1)">\n\n' +
          '<a href="javascript:window.__xss=1">raw-link</a>\n\n' +
          "<iframe src=\"javascript:top.__xss=1\"></iframe>\n\nafter-the-probes",
        ),
      ]));
      writeNotebook(root, EVIL_NAME, notebook([code("1")]));
      writeNotebook(root, "trusted.ipynb", notebook([code("HTML(...)", [display({ "text/html": TRUSTED_HTML, "text/plain": "trusted fallback" })], 1)]));
      writeNotebook(root, "totrust.ipynb", notebook([code("HTML(...)", [display({ "text/html": TRUSTED_HTML, "text/plain": "totrust fallback" })], 1)]));
    },
  });
  trustWithCli(server, "trusted.ipynb");
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** assertNoScriptRan: no marker in the top page or any frame, no dialog. */
async function assertNoScriptRan(page, log, { framesMayRun = false } = {}) {
  assert.equal(await page.evaluate(() => window.__xss), undefined, "window.__xss set in the top page");
  if (!framesMayRun) {
    for (const f of page.frames()) {
      if (f === page.mainFrame()) continue;
      const v = await f.evaluate(() => window.__xss).catch(() => undefined);
      assert.equal(v, undefined, "window.__xss set in frame " + f.url());
    }
    const ignoredAlerts = log.console.filter((m) => /Ignored call to '(alert|confirm|prompt)\(\)'/.test(m.text));
    assert.deepEqual(ignoredAlerts, [], "a sandboxed frame tried to alert");
  }
  assert.deepEqual(scriptDialogs(log), [], "dialogs: " + JSON.stringify(log.dialogs));
  assert.deepEqual(log.pageErrors, []);
}

/** loginCookies: the values a frame must not be able to read. */
async function secretCookieValues(context) {
  return (await context.cookies()).map((c) => c.value).filter((v) => v.length >= 8);
}

/** checkFrameIsolated: the frame cannot read Quire's cookies nor call its API with them. */
async function checkFrameIsolated(frame, context) {
  const cookie = await frame.evaluate(() => {
    try {
      return document.cookie;
    } catch (e) {
      return "blocked:" + e.name;
    }
  });
  for (const v of await secretCookieValues(context)) assert.ok(!cookie.includes(v), "the frame read a Quire cookie: " + cookie);
  const parentCookie = await frame.evaluate(() => {
    try {
      return parent.document.cookie;
    } catch (e) {
      return "blocked:" + e.name;
    }
  });
  assert.match(parentCookie, /^blocked:/, "the frame reached parent.document");
  const fetched = await frame.evaluate(async () => {
    try {
      const r = await fetch("/api/contents", { credentials: "include" });
      return "status:" + r.status + ":" + (await r.text()).slice(0, 200);
    } catch (e) {
      return "blocked:" + e.name;
    }
  });
  assert.ok(fetched.startsWith("blocked:") || !/^status:2/.test(fetched), "the frame listed the contents: " + fetched);
}

describe("untrusted notebook", () => {
  test("no HTML, SVG, JavaScript or markdown output runs script; text/plain shows markup literally", async () => {
    const { page, context, log } = await loggedIn(browser, server);
    await openNotebook(page, server, "untrusted.ipynb", { kernel: false });
    // Everything rendered (the last probe of each cell is there).
    const plain = cell(page, 0).locator('[data-testid="output"]').filter({ hasText: PLAIN_IMG });
    await plain.first().waitFor({ timeout: T.short });
    assert.ok(await plain.first().isVisible(), "text/plain markup is visible as text");
    assert.equal(await cell(page, 0).locator('[data-testid="output"][data-mime="text/plain"]').filter({ hasText: PLAIN_IMG }).count(), 1);
    await expectText(cell(page, 1).locator('[data-testid="markdown"]'), "after-the-probes");
    await page.waitForLoadState("networkidle");
    assert.equal(await tid(page, "trust").getAttribute("data-trusted"), "false");

    // Nothing with an event-handler attribute or a javascript: URL reached the DOM.
    const handlers = await page.evaluate(() => {
      const bad = [];
      for (const el of document.querySelectorAll("*")) {
        for (const a of el.attributes) {
          if (/^on/i.test(a.name)) bad.push(el.tagName + " " + a.name);
          if (/^(href|src|xlink:href|action|formaction)$/i.test(a.name) && /^\s*javascript:/i.test(a.value)) bad.push(el.tagName + " " + a.name + "=" + a.value);
        }
        if (el.tagName === "SCRIPT" && el.closest('[data-testid="notebook"]')) bad.push("SCRIPT in the notebook");
      }
      return bad;
    });
    assert.deepEqual(handlers, []);

    // Click the markdown link; nothing may happen.
    const link = cell(page, 1).locator('[data-testid="markdown"]').getByText("click", { exact: true });
    await link.click();
    const raw = cell(page, 1).locator('[data-testid="markdown"]').getByText("raw-link", { exact: true });
    if (await raw.count()) await raw.click();
    await page.waitForLoadState("networkidle");
    assert.match(new URL(page.url()).pathname, /\/notebooks\/untrusted\.ipynb$/, "still on the notebook");
    await assertNoScriptRan(page, log);

    // Any frame the UI used must be isolated too.
    for (const h of await page.locator('[data-testid="output-frame"]').elementHandles()) {
      const f = await h.contentFrame();
      if (f) await checkFrameIsolated(f, context);
    }
    await context.close();
  });
});

test("a file named like markup is listed and opened as text", async () => {
  const { page, context, log } = await loggedIn(browser, server);
  await page.goto(treeUrl(server));
  const r = row(page, EVIL_NAME);
  await r.waitFor({ timeout: T.short });
  assert.equal(await r.getAttribute("data-type"), "notebook");
  assert.equal(((await r.locator('[data-testid="file-link"]').textContent()) ?? "").trim(), EVIL_NAME);
  const target = await Promise.any([
    page.waitForURL(/\/notebooks\//, { timeout: T.short }).then(() => page),
    context.waitForEvent("page", { timeout: T.short }),
    r.locator('[data-testid="file-link"]').click().then(() => new Promise(() => {})),
  ]);
  const tlog = target === page ? log : null;
  await tid(target, "notebook").waitFor({ timeout: T.short });
  await cell(target, 0).waitFor();
  assert.ok(decodeURIComponent(new URL(target.url()).pathname).endsWith("/" + EVIL_NAME), target.url());
  assert.ok((await target.title()).includes(EVIL_NAME), "title shows the name literally: " + (await target.title()));
  await target.waitForLoadState("networkidle");
  assert.equal(await target.evaluate(() => window.__xss), undefined);
  if (tlog) await assertNoScriptRan(target, tlog);
  else assert.deepEqual(scriptDialogs(log), []);
  await page.goto(treeUrl(server));
  await r.waitFor();
  await assertNoScriptRan(page, log);
  await context.close();
});

describe("trusted notebook", () => {
  async function frameOf(page, i) {
    const el = cell(page, i).locator('[data-testid="output-frame"]').first();
    await el.waitFor({ timeout: T.short });
    const sandbox = await el.getAttribute("sandbox");
    assert.ok(sandbox !== null, "the output-frame has a sandbox attribute");
    assert.ok(!/allow-same-origin/.test(sandbox), "sandbox without allow-same-origin: " + sandbox);
    const f = await (await el.elementHandle()).contentFrame();
    assert.ok(f, "the frame has a document");
    await poll(async () => (await f.evaluate(() => document.body && document.body.dataset.ran).catch(() => undefined)) === "yes", "the trusted script ran inside the frame");
    return f;
  }

  test("signed with `quire trust`: its script runs only inside the sandboxed output-frame", async () => {
    const { page, context, log } = await loggedIn(browser, server);
    await openNotebook(page, server, "trusted.ipynb", { kernel: false });
    await poll(async () => (await tid(page, "trust").getAttribute("data-trusted")) === "true", "the signed notebook shows as trusted");
    const f = await frameOf(page, 0);
    await expectText(cell(page, 0), "trusted-html").catch(async () => {
      assert.match((await f.evaluate(() => document.body.textContent)) ?? "", /trusted-html/);
    });
    assert.equal(await page.evaluate(() => window.__xss), undefined, "top.__xss set from the frame");
    await checkFrameIsolated(f, context);
    assert.deepEqual(scriptDialogs(log), []);
    await context.close();
  });

  test("trusted with the trust button: the HTML then runs in the frame", async () => {
    const { page, context, log } = await loggedIn(browser, server);
    await openNotebook(page, server, "totrust.ipynb", { kernel: false });
    const btn = tid(page, "trust");
    await cell(page, 0).locator('[data-testid="output"]').first().waitFor({ timeout: T.short });
    assert.equal(await btn.getAttribute("data-trusted"), "false");
    assert.equal(await cell(page, 0).locator('[data-testid="output-frame"]').count(), 0, "no frame runs before trusting");
    await btn.click();
    // A confirmation dialog, if the UI asks, is answered with its "Trust" button.
    await poll(async () => {
      if (await page.locator("dialog[open]").count()) await answerDialog(page, /trust/i);
      return (await btn.getAttribute("data-trusted")) === "true";
    }, "data-trusted=true after the trust button");
    const f = await frameOf(page, 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    await checkFrameIsolated(f, context);
    assert.deepEqual(scriptDialogs(log), []);
    await context.close();
  });
});
