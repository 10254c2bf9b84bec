// XSS probes. Injected script would set window.__xss / top.__xss or call
// alert(); the harness records every dialog. Untrusted notebooks must run
// no script anywhere; a trusted one runs its HTML only inside the sandboxed
// output-frame, which cannot read Quire's cookies or call its API.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  T, cell, cells, code, display, expectText, launchBrowser, loggedIn, markdown, notebook, openNotebook, poll, row,
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
      writeAdvisoryFixtures(root);
    },
  });
  trustWithCli(server, "trusted.ipynb");
  trustWithCli(server, "paste-target.ipynb");
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

// ---- Advisory regressions ---------------------------------------------------
// Each test names the advisories whose class it covers; docs/security.md maps
// every advisory to its test.

/** Sanitizer-bypass and mutation-XSS payloads of the kind behind
 *  CVE-2016-6524, CVE-2018-8768 (markup "fixed" after sanitising) and
 *  CVE-2021-32798 (a sanitizer bypass); each would set __xss or alert. */
const BYPASSES = [
  '<svg><style><img src=x onerror="window.__xss=1"></style></svg>',
  '<math><mtext><table><mglyph><style><img src=x onerror="window.__xss=1">',
  '<noscript><p title="</noscript><img src=x onerror=window.__xss=1>"></noscript>',
  '<form><math><mtext></form><form><mglyph><svg><mtext><style><path id="</style><img src=x onerror=window.__xss=1>">',
  "<img src=x/onerror=window.__xss=1>",
  "<img/src=x\tonerror=window.__xss=1>",
  '<a href="jav&#x09;ascript:window.__xss=1">tab-link</a>',
  '<a href="&#106;avascript:window.__xss=1">entity-link</a>',
  '<svg><a xlink:href="javascript:window.__xss=1"><text x="0" y="15">svg-link</text></a></svg>',
  '<svg><animate attributeName="href" values="javascript:window.__xss=1" /><a id="anim"><text y="30">anim</text></a></svg>',
  '<svg><set attributeName="onload" to="window.__xss=1" /></svg>',
  '<details open ontoggle="window.__xss=1"><summary>d</summary></details>',
  '<video><source onerror="window.__xss=1"></video>',
  '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
  '<object data="javascript:window.__xss=1"></object><embed src="javascript:window.__xss=1">',
  '<base href="javascript:window.__xss=1//"><a href="rel">base-link</a>',
  '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=1">',
  '<link rel="stylesheet" href="javascript:window.__xss=1">',
  '<style>@import "javascript:window.__xss=1";</style>',
  '<div style="background:url(javascript:window.__xss=1)">styled</div>',
  '<template><img src=x onerror="window.__xss=1"></template>',
  '<scr<script>ipt>window.__xss=1</scr</script>ipt>',
  '<!--><img src=x onerror="window.__xss=1">-->',
  '<textarea><img src=x onerror="window.__xss=1"></textarea>',
  '<title><img src=x onerror="window.__xss=1"></title>',
];

/** Form payloads of CVE-2021-32797 (an unsanitised form action). */
const FORMS =
  '<form action="javascript:window.__xss=1"><input name="q" value="x"><input type="submit" value="form-submit"></form>' +
  '<button formaction="javascript:window.__xss=1" type="submit">form-button</button>' +
  '<input type="image" src="x" formaction="javascript:window.__xss=1" alt="form-image">' +
  '<isindex action="javascript:window.__xss=1" prompt="isindex">';

/** DOM clobbering (CVE-2024-43805 via markdown and math; CVE-2024-22420 via
 *  headings that feed a table of contents): names and ids that would shadow
 *  document properties, math commands that make links or ids. */
const CLOBBER_MD =
  '<img name="cookie" src="data:,"><img name="getElementById" src="data:,"><img name="querySelector" src="data:,">\n\n' +
  '<a id="defaultView" href="#">dv</a><img name="body" src="data:,"><img name="documentElement" src="data:,">\n\n' +
  '<form name="forms"><input name="attributes"></form><img name="location" src="data:,">\n\n' +
  "## <img src=x onerror=\"window.__xss=1\"> heading-probe\n\n" +
  '## <a href="javascript:window.__xss=1">toc-link</a>\n\n' +
  "## __proto__\n\n## constructor\n\n" +
  "$\\href{javascript:window.__xss=1}{math-href}$ and $\\url{javascript:window.__xss=1}$\n\n" +
  "$\\htmlId{cookie}{x}$ $\\htmlData{x=1}{y}$ $\\htmlClass{q-x}{z}$ $\\includegraphics{javascript:window.__xss=1}$\n\n" +
  "$$\\def\\x{\\href{javascript:window.__xss=1}{def-href}}\\x$$\n\nclobber-done";

/** A JupyterLab command-linker button (CVE-2026-42557): data-* survives
 *  sanitising, so it must mean nothing to Quire. */
const COMMANDLINKER =
  '<button data-commandlinker-command="notebook:trust" data-commandlinker-args="{}">linker-trust</button>\n\n' +
  '<button data-commandlinker-command="notebook:run-all-cells" data-command="run-all" data-action="restart-run">linker-run</button>\n\n' +
  '<a data-commandlinker-command="filebrowser:delete" href="#x">linker-link</a>';

const EVIL_DIR = '<svg onload="window.__xss=1">"dir';
const EVIL_FILE_IN_DIR = '"><img src=x onerror=window.__xss=1>.txt';

function writeAdvisoryFixtures(root) {
  writeNotebook(root, "bypass.ipynb", notebook([
    code("bypass()", BYPASSES.map((h) => display({ "text/html": h, "text/plain": "bypass fallback" })), 1),
    markdown("bypass-md-start\n\n" + BYPASSES.join("\n\n")),
    // VS Code 1.59's bug: a text/markdown output rendered as HTML.
    code("md()", [display({ "text/markdown": "vscode-md-start\n\n" + BYPASSES.join("\n\n"), "text/plain": "md fallback" })], 2),
  ]));
  writeNotebook(root, "forms.ipynb", notebook([
    code("form()", [display({ "text/html": FORMS, "text/plain": "form fallback" })], 1),
    markdown(FORMS + "\n\nforms-md-done"),
  ]));
  writeNotebook(root, "clobber.ipynb", notebook([
    markdown(CLOBBER_MD),
    code("c()", [display({ "text/html": CLOBBER_MD.split("\n\n").slice(0, 3).join(""), "text/plain": "clobber fallback" }),
      display({ "text/latex": "$\\href{javascript:window.__xss=1}{latex-href}$", "text/plain": "latex fallback" })], 1),
  ]));
  writeNotebook(root, "linker.ipynb", notebook([markdown(COMMANDLINKER + "\n\nlinker-done"), code("1")]));
  writeNotebook(root, "paste-target.ipynb", notebook([code("HTML(...)", [display({ "text/html": "<b>target-html</b>", "text/plain": "target" })], 1)]));
  mkdirSync(join(root, EVIL_DIR));
  writeFileSync(join(root, EVIL_DIR, EVIL_FILE_IN_DIR), "x");
}

/** activeMarkup lists what untrusted content must never put in the page:
 *  event handlers, javascript: URLs, forms and form actions, scripts,
 *  frames and objects inside the notebook. */
async function activeMarkup(page) {
  return page.evaluate(() => {
    const bad = [];
    const nb = document.querySelector('[data-testid="notebook"]') || document.body;
    for (const el of nb.querySelectorAll("*")) {
      for (const a of el.attributes) {
        if (/^on/i.test(a.name)) bad.push(el.tagName + " " + a.name);
        if (/^(href|src|xlink:href|action|formaction|data|values|to)$/i.test(a.name) && /^\s*javascript:/i.test(a.value.replace(/[\s\u0000-\u001f]/g, "")))
          bad.push(el.tagName + " " + a.name + "=" + a.value);
        if (/^(action|formaction|srcdoc)$/i.test(a.name)) bad.push(el.tagName + " " + a.name);
      }
      if (/^(SCRIPT|FORM|ISINDEX|IFRAME|OBJECT|EMBED|BASE|META|LINK)$/.test(el.tagName) && !el.closest('[data-testid="output-frame"]'))
        if (!(el.tagName === "IFRAME" && el.getAttribute("data-testid") === "output-frame")) bad.push(el.tagName);
    }
    return bad;
  });
}

/** clickAll clicks every element with one of the given texts, if present. */
async function clickAll(page, scope, texts) {
  for (const text of texts) {
    const loc = scope.getByText(text, { exact: true });
    for (let i = 0; i < (await loc.count()); i++) await loc.nth(i).click({ timeout: 2000 }).catch(() => {});
  }
}

describe("advisories: untrusted content", () => {
  test("CVE-2016-6524 CVE-2018-8768 CVE-2021-32798 VSCode-1.59-markdown: sanitizer-bypass payloads in outputs, markdown cells and text/markdown run nothing", async () => {
    const { page, context, log } = await loggedIn(browser, server);
    await openNotebook(page, server, "bypass.ipynb", { kernel: false });
    await expectText(cell(page, 1).locator('[data-testid="markdown"]'), "bypass-md-start");
    await expectText(cell(page, 2), "vscode-md-start");
    await page.waitForLoadState("networkidle");
    assert.equal(await tid(page, "trust").getAttribute("data-trusted"), "false");
    assert.deepEqual(await activeMarkup(page), []);
    await clickAll(page, page.locator('[data-testid="notebook"]'), ["tab-link", "entity-link", "svg-link", "anim", "base-link", "d", "styled"]);
    await page.waitForLoadState("networkidle");
    assert.match(new URL(page.url()).pathname, /\/notebooks\/bypass\.ipynb$/, "still on the notebook");
    await assertNoScriptRan(page, log);
    for (const h of await page.locator('[data-testid="output-frame"]').elementHandles()) {
      const f = await h.contentFrame();
      if (f) await checkFrameIsolated(f, context);
    }
    await context.close();
  });

  test("CVE-2021-32797: no form, action or formaction survives, and submitting does nothing", async () => {
    const { page, context, log } = await loggedIn(browser, server);
    await openNotebook(page, server, "forms.ipynb", { kernel: false });
    await expectText(cell(page, 1).locator('[data-testid="markdown"]'), "forms-md-done");
    await page.waitForLoadState("networkidle");
    const forms = await page.evaluate(() => ({
      forms: document.querySelectorAll('[data-testid="notebook"] form').length,
      actions: document.querySelectorAll('[data-testid="notebook"] [action], [data-testid="notebook"] [formaction]').length,
    }));
    assert.deepEqual(forms, { forms: 0, actions: 0 });
    assert.deepEqual(await activeMarkup(page), []);
    const nb = page.locator('[data-testid="notebook"]');
    for (const sel of ['input[type="submit"]', "button[formaction]", 'input[type="image"]', "button"]) {
      const loc = nb.locator('[data-testid="output"] ' + sel + ', [data-testid="markdown"] ' + sel);
      for (let i = 0; i < (await loc.count()); i++) await loc.nth(i).click({ timeout: 2000 }).catch(() => {});
    }
    await page.keyboard.press("Escape");
    await page.waitForLoadState("networkidle");
    assert.match(new URL(page.url()).pathname, /\/notebooks\/forms\.ipynb$/, "still on the notebook");
    await assertNoScriptRan(page, log);
    await context.close();
  });

  test("CVE-2024-43805 CVE-2024-22420: markdown, headings and math clobber no document property and make no javascript: link", async () => {
    const { page, context, log } = await loggedIn(browser, server);
    await openNotebook(page, server, "clobber.ipynb", { kernel: false });
    await expectText(cell(page, 0).locator('[data-testid="markdown"]'), "clobber-done");
    await expectText(cell(page, 0).locator('[data-testid="markdown"]'), "heading-probe");
    await page.waitForLoadState("networkidle");
    const state = await page.evaluate(() => ({
      cookie: typeof document.cookie,
      getElementById: typeof document.getElementById,
      querySelector: typeof document.querySelector,
      defaultView: document.defaultView === window,
      body: document.body instanceof HTMLBodyElement,
      documentElement: document.documentElement instanceof HTMLHtmlElement,
      location: document.location === window.location,
      forms: document.forms instanceof HTMLCollection,
      proto: Object.getPrototypeOf({}) === Object.prototype,
    }));
    assert.deepEqual(state, {
      cookie: "string", getElementById: "function", querySelector: "function", defaultView: true, body: true,
      documentElement: true, location: true, forms: true, proto: true,
    });
    // KaTeX runs untrusted: \href, \url, \htmlId and friends make no link and no id.
    const math = await page.evaluate(() => {
      const bad = [];
      for (const el of document.querySelectorAll('[data-testid="notebook"] .katex *')) {
        if (el.tagName === "A") bad.push("A " + el.getAttribute("href"));
        if (el.id) bad.push("id " + el.id);
        for (const a of el.attributes) if (/^data-/.test(a.name)) bad.push(a.name);
      }
      return bad;
    });
    assert.deepEqual(math, []);
    assert.deepEqual(await activeMarkup(page), []);
    await clickAll(page, page.locator('[data-testid="notebook"]'), ["toc-link", "math-href", "def-href", "latex-href", "dv"]);
    await page.waitForLoadState("networkidle");
    assert.match(new URL(page.url()).pathname, /\/notebooks\/clobber\.ipynb$/, "still on the notebook");
    await assertNoScriptRan(page, log);
    await context.close();
  });

  test("CVE-2026-42557: data-commandlinker attributes run no command when clicked", async () => {
    const { page, context, log } = await loggedIn(browser, server);
    await openNotebook(page, server, "linker.ipynb", { kernel: false });
    await expectText(cell(page, 0).locator('[data-testid="markdown"]'), "linker-done");
    await page.waitForLoadState("networkidle");
    const kernels = async () => (await page.evaluate(async () => (await fetch("/api/kernels")).json())).map((k) => k.id).sort();
    const state = async () => ({
      trusted: await tid(page, "trust").getAttribute("data-trusted"),
      cells: await cells(page).count(),
      outputs: await cell(page, 1).locator('[data-testid="output"]').count(),
      kernels: await kernels(),
    });
    const before = await state();
    assert.equal(before.trusted, "false");
    await clickAll(page, cell(page, 0), ["linker-trust", "linker-run", "linker-link"]);
    await page.waitForTimeout(1000);
    assert.equal(await page.locator("dialog[open]").count(), 0, "a command opened a dialog");
    assert.deepEqual(await state(), before, "a click changed trust, cells, outputs or kernels");
    assert.match(new URL(page.url()).pathname, /\/notebooks\/linker\.ipynb$/, "still on the notebook");
    await assertNoScriptRan(page, log);
    await context.close();
  });

  test("CVE-2026-102831: cells pasted from an untrusted notebook into a trusted one run no script", async () => {
    const { page, context, log } = await loggedIn(browser, server);
    await openNotebook(page, server, "untrusted.ipynb", { kernel: false });
    await cell(page, 0).locator('[data-testid="output"]').first().waitFor({ timeout: T.short });
    await tid(page, "copy-cells").click();
    await openNotebook(page, server, "paste-target.ipynb", { kernel: false });
    await poll(async () => (await tid(page, "trust").getAttribute("data-trusted")) === "true", "the target notebook is trusted");
    await tid(page, "paste-cells").click();
    await poll(async () => (await cells(page).count()) === 2, "the cell was pasted");
    await cell(page, 1).locator('[data-testid="output"]').first().waitFor({ timeout: T.short });
    await page.waitForLoadState("networkidle");
    assert.equal(await cell(page, 1).locator('[data-testid="output-frame"]').count(), 0, "the pasted untrusted outputs run in a frame");
    assert.deepEqual(await activeMarkup(page), []);
    await assertNoScriptRan(page, log);
    await context.close();
  });

  test("CVE-2015-6938 CVE-2018-19352: folder and file names with markup are shown as text in the list, the breadcrumbs and the title", async () => {
    const { page, context, log } = await loggedIn(browser, server);
    await page.goto(treeUrl(server));
    const r = row(page, EVIL_DIR);
    await r.waitFor({ timeout: T.short });
    assert.equal(((await r.locator('[data-testid="file-link"]').textContent()) ?? "").trim(), EVIL_DIR);
    await r.locator('[data-testid="file-link"]').click();
    const inner = row(page, EVIL_FILE_IN_DIR);
    await inner.waitFor({ timeout: T.short });
    assert.equal(((await inner.locator('[data-testid="file-link"]').textContent()) ?? "").trim(), EVIL_FILE_IN_DIR);
    assert.ok(((await tid(page, "breadcrumbs").textContent()) ?? "").includes(EVIL_DIR), "the breadcrumbs show the name as text");
    assert.ok(decodeURIComponent(new URL(page.url()).pathname).endsWith("/" + EVIL_DIR), page.url());
    await page.waitForLoadState("networkidle");
    const injected = await page.evaluate(() => document.querySelectorAll("main svg[onload], [onerror], [onload]").length);
    assert.equal(injected, 0, "markup from a name became an element");
    assert.deepEqual(await activeMarkup(page), []);
    await assertNoScriptRan(page, log);
    await context.close();
  });
});
