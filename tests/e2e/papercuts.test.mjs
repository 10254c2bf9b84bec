// Issue #16's papercuts, in the browser against the real binary: readable
// tracebacks in both themes, a Latex output without a scrollbar, the
// keyboard help's keys beside their descriptions, a favicon, a kernel that
// is idle with no client, and a notebook whose cells show. Each feature is
// photographed in the light and dark themes at 1280 and 390 px
// (artifacts/papercut-*.png).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  T, cells, code, display, dumpOnFail, launchBrowser, login, notebook, notebookUrl, poll, screenshot,
  startServer, tid, treeUrl, watch, writeNotebook,
} from "./harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const TOKEN = "papercut-token-0123456789abcdef0123456789abcdef";
// Real IPython tracebacks (ui/test/testdata, written by IPython itself).
const tracebacks = JSON.parse(readFileSync(join(here, "../../ui/test/testdata/ipython-tracebacks.json"), "utf8")).tracebacks;
const tbOutput = (text) => ({
  output_type: "error", ename: "ZeroDivisionError", evalue: "division by zero", traceback: text.split("\n"),
});

const VIEWS = [
  { scheme: "light", width: 1280 },
  { scheme: "dark", width: 1280 },
  { scheme: "light", width: 390 },
  { scheme: "dark", width: 390 },
];

let browser, server;

before(async () => {
  browser = await launchBrowser();
  server = await startServer({
    name: "papercuts",
    token: TOKEN,
    setup(root) {
      writeNotebook(root, "tb.ipynb", notebook([
        code("mean([])", [tbOutput(tracebacks["LightBG/Context"])], 1),
        code("mean([])", [tbOutput(tracebacks["Linux/Context"])], 2),
      ]));
      writeNotebook(root, "latex.ipynb", notebook([
        code("display(Latex(r'$\\frac{a}{b}$'))", [display({ "text/latex": "$\\frac{a}{b}$", "text/plain": "<IPython.core.display.Latex object>" })], 1),
        code("display(Latex(...))", [display({ "text/latex": "$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$", "text/plain": "<Latex>" })], 2),
        code("display(Latex(...))", [display({ "text/latex": "The area is $\\pi r^2$ and $e^{i\\pi} = -1$.", "text/plain": "<Latex>" })], 3),
      ]));
      writeNotebook(root, "plain.ipynb", notebook([code("x = 1", [], null)]));
    },
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function viewPage({ scheme, width }) {
  const context = await browser.newContext({ viewport: { width, height: 800 }, colorScheme: scheme });
  const page = await context.newPage();
  const log = watch(page);
  await login(page, server);
  return { context, page, log };
}

/** shoot runs fn in each theme and width and saves papercut-<name>-<scheme>-<width>.png. */
async function eachView(name, fn) {
  for (const v of VIEWS) {
    const { context, page, log } = await viewPage(v);
    try {
      await dumpOnFail(page, `papercut-${name}-${v.scheme}-${v.width}`, () => fn(page, v));
      await screenshot(page, `papercut-${name}-${v.scheme}-${v.width}.png`);
      assert.deepEqual(log.csp, [], "no CSP violations");
      assert.deepEqual(log.pageErrors, [], "no page errors");
    } finally {
      await context.close();
    }
  }
}

async function openCells(page, p) {
  await page.goto(notebookUrl(server, p));
  await cells(page).first().waitFor({ timeout: T.short });
}

test("traceback colours reach 4.5:1 on what they are drawn on", async () => {
  await eachView("traceback", async (page, v) => {
    await openCells(page, "tb.ipynb");
    const spans = page.locator('[data-testid="output"] .q-text span span');
    await poll(async () => (await spans.count()) > 50, "the tracebacks are rendered with colours");
    const low = await page.evaluate(() => {
      const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
      const lum = ([r, g, b]) => {
        const f = (c) => ((c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
      };
      const bgOf = (el) => {
        for (let e = el; e; e = e.parentElement) {
          const c = rgb(getComputedStyle(e).backgroundColor);
          if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
        }
        return [255, 255, 255];
      };
      const out = [];
      for (const s of document.querySelectorAll('[data-testid="output"] .q-text span span')) {
        if (!s.textContent.trim()) continue;
        const fg = rgb(getComputedStyle(s).color).slice(0, 3);
        const bg = bgOf(s);
        const [a, b] = [lum(fg), lum(bg)];
        const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        if (ratio < 4.5) out.push(`${JSON.stringify(s.textContent)} rgb(${fg}) on rgb(${bg}): ${ratio.toFixed(2)}`);
      }
      return out;
    });
    assert.deepEqual(low, [], `${v.scheme}: spans below 4.5:1`);
    // the highlighted failing line is on screen for the photograph
    await page.locator('[data-testid="output"] .q-ansi-bg-3').first().scrollIntoViewIfNeeded();
  });
});

test("a Latex output has no scrollbar", async () => {
  await eachView("latex", async (page) => {
    await openCells(page, "latex.ipynb");
    const boxes = page.locator(".q-latex");
    await poll(async () => (await page.locator(".q-latex .katex").count()) >= 3, "KaTeX rendered the three outputs");
    const n = await boxes.count();
    for (let i = 0; i < n; i++) {
      const m = await boxes.nth(i).evaluate((e) => {
        const box = e.getBoundingClientRect();
        // KaTeX's .base boxes span each formula's height and depth (its ink)
        const bases = [...e.querySelectorAll(".katex-html .base")].map((b) => b.getBoundingClientRect());
        return {
          overflowY: getComputedStyle(e).overflowY, sh: e.scrollHeight, ch: e.clientHeight, sw: e.scrollWidth, cw: e.clientWidth,
          // a vertical scrollbar takes width: offsetWidth - clientWidth
          bar: e.offsetWidth - e.clientWidth,
          top: box.top, bottom: box.bottom,
          inkTop: Math.min(...bases.map((b) => b.top)), inkBottom: Math.max(...bases.map((b) => b.bottom)),
        };
      });
      assert.ok(m.sh <= m.ch || m.overflowY === "hidden", `Latex output ${i} can scroll vertically: ${JSON.stringify(m)}`);
      assert.equal(m.bar, 0, `Latex output ${i} has a vertical scrollbar: ${JSON.stringify(m)}`);
      assert.ok(m.inkTop >= m.top && m.inkBottom <= m.bottom, `Latex output ${i}: the formula is cut off: ${JSON.stringify(m)}`);
      assert.ok(m.sw <= m.cw, `Latex output ${i} scrolls sideways: ${JSON.stringify(m)}`);
    }
  });
});

test("the keyboard help puts each description beside its key", async () => {
  await eachView("keys", async (page, v) => {
    await openCells(page, "plain.ipynb");
    await page.keyboard.press("Escape");
    await page.keyboard.press("h");
    const panel = tid(page, "shortcuts-panel");
    await panel.waitFor({ timeout: T.short });
    const rows = await panel.locator("tr").evaluateAll((trs) =>
      trs.map((tr) => {
        // where the text is drawn, not the cells' boxes
        const line = (el) => {
          const r = document.createRange();
          r.selectNodeContents(el);
          return r.getClientRects()[0];
        };
        const k = line(tr.querySelector("kbd"));
        const d = line(tr.querySelector("td"));
        return { key: tr.querySelector("kbd").textContent, k: { top: k.top, right: k.right, bottom: k.bottom }, d: { top: d.top, left: d.left, bottom: d.bottom } };
      }),
    );
    assert.ok(rows.length >= 30, `${rows.length} rows`);
    for (const r of rows) {
      // same line: the description starts level with its key, to its right
      // (at 390 px a long description may wrap below, but starts beside it)
      assert.ok(Math.abs(r.k.bottom - r.d.bottom) <= 3, `${v.width}: ${r.key}: key line ends at ${r.k.bottom}, its description's first line at ${r.d.bottom}`);
      assert.ok(r.d.left >= r.k.right, `${v.width}: ${r.key}: description starts at ${r.d.left}, left of its key's end ${r.k.right}`);
    }
    // the edit-mode table is in view for the photograph
    await panel.locator("table").last().scrollIntoViewIfNeeded();
  });
});

test("favicon.ico is served, public, and linked from the pages", async () => {
  // No credentials: browsers ask for it on their own.
  const r = await fetch(server.url + "favicon.ico");
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), "image/x-icon");
  assert.ok(r.headers.get("cache-control"), "cache headers");
  const b = Buffer.from(await r.arrayBuffer());
  assert.deepEqual([...b.subarray(0, 4)], [0, 0, 1, 0], "an ICO file");
  assert.ok(b.readUInt16LE(4) >= 1, "with at least one image");
  await eachView("favicon", async (page) => {
    const missing = [];
    page.on("response", (res) => {
      if (res.status() === 404) missing.push(res.url());
    });
    await page.goto(treeUrl(server));
    await tid(page, "file-list").waitFor({ timeout: T.short });
    const links = await page.locator('link[rel="icon"]').evaluateAll((ls) => ls.map((l) => l.href));
    assert.ok(links.length >= 1, "the page links an icon");
    for (const href of links) {
      const res = await page.request.get(href);
      assert.equal(res.status(), 200, `${href}`);
    }
    // show both icons large enough to look at
    await page.evaluate((hrefs) => {
      const box = document.createElement("div");
      box.style.cssText = "position:fixed;top:80px;left:20px;z-index:99;display:flex;gap:16px;padding:12px;background:var(--bg);border:1px solid var(--border)";
      for (const href of [...hrefs, new URL("favicon.ico", document.baseURI).href]) {
        const img = document.createElement("img");
        img.src = href;
        img.width = 64;
        img.height = 64;
        img.style.imageRendering = "pixelated";
        box.append(img);
      }
      document.body.append(box);
    }, links);
    await poll(() => page.evaluate(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0)), "the icons load");
    assert.deepEqual(missing, [], "no 404s");
  });
});

test("a kernel nobody connected to reports idle", async () => {
  const api = (p, init = {}) => fetch(server.url + p, { ...init, headers: { Authorization: `token ${TOKEN}`, ...(init.headers || {}) } });
  const res = await api("api/kernels", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: "python3" }) });
  assert.equal(res.status, 201);
  const { id } = await res.json();
  try {
    await poll(async () => (await (await api("api/kernels/" + id)).json()).execution_state === "idle", "the kernel is idle without a WebSocket", T.kernel, 200);
    const model = await (await api("api/kernels/" + id)).json();
    assert.equal(model.connections, 0, "no client connected");
    await eachView("kernel-idle", async (page) => {
      await page.goto(treeUrl(server));
      const panel = tid(page, "running-panel");
      await panel.waitFor({ timeout: T.short });
      await panel.locator('[data-testid="kernel-row"]').first().waitFor({ timeout: T.short });
      await poll(async () => /idle/.test(await panel.textContent()), "the running panel says idle");
      await panel.scrollIntoViewIfNeeded();
    });
  } finally {
    await api("api/kernels/" + id, { method: "DELETE" });
  }
});

test("the cells show as text while the editors' code is still loading", async () => {
  await eachView("preview", async (page, v) => {
    // Hold back the view chunk (CodeMirror, renderers) until told.
    let release;
    const held = new Promise((r) => (release = r));
    let heldBack = 0;
    await page.route(/\/static\/app\/assets\/view-[^/]*\.js$/, async (route) => {
      heldBack++;
      await held;
      await route.continue();
    });
    await page.goto(notebookUrl(server, "latex.ipynb"));
    const preview = page.locator(".nb-preview");
    await preview.first().waitFor({ timeout: T.short });
    assert.ok(heldBack >= 1, "the view chunk was requested");
    assert.equal(await preview.count(), 3, "every cell previewed");
    assert.equal(await cells(page).count(), 0, "no real cell before the code");
    assert.match(await preview.first().textContent(), /display\(Latex/);
    assert.match(await preview.nth(0).textContent(), /IPython\.core\.display\.Latex object/, "text outputs previewed");
    await screenshot(page, `papercut-preview-held-${v.scheme}-${v.width}.png`);
    release();
    await cells(page).first().waitFor({ timeout: T.short });
    await poll(async () => (await preview.count()) === 0, "the preview is replaced by the cells");
    assert.equal(await cells(page).count(), 3);
  });
});

test("a notebook's cells show, and editors come after", async () => {
  await eachView("warm-load", async (page) => {
    await openCells(page, "latex.ipynb");
    await page.locator('[data-testid="cell"] .cm-editor').first().waitFor({ timeout: T.short });
    assert.equal(await cells(page).count(), 3);
    assert.match(await cells(page).first().textContent(), /display\(Latex/);
  });
});
