// UI benchmark: a big notebook (default 2000 cells with outputs) opened in
// headless chromium against the real server. Prints one JSON object:
//
//   interactive_ms      navigation start → the first cell is visible, a
//                       click puts its editor in edit mode and typed text
//                       is in the editor's DOM (per run; medians below),
//                       timed by a MutationObserver in the page at the
//                       mutation that completes it. The click is a user's:
//                       a mouse click at the cell as soon as a frame shows
//                       it (the page watches for that every frame)
//   interactive_locator_ms  the same, clicked as Playwright's locator
//                       does it (as measured until 2026-12-07 10:00): it
//                       polls for the cell at 0, 20, 70, 170, 270 ms, then
//                       every 500 ms, and its click first waits until the
//                       cell has kept its box for two animation frames,
//                       scrolls it into view and checks what is under the
//                       point, each a round trip to the page
//   interactive_polled_ms  the locator's runs, their end seen by Playwright's
//                       waitForFunction (raf polling), as measured until
//                       2026-12-07 06:00: it adds Playwright installing its
//                       injected script into the page's main world, ~100 ms
//   last_dom_ms         navigation start → the last cell's output is in
//                       the DOM (the page scrolls to it as soon as (a) is
//                       done: the UI may render outputs only near the view)
//   last_view_ms        navigation start → that output is in the viewport
//                       and a frame has been painted
//   scroll_to_last_ms   from the start of that scroll to the same moment
//   keystroke_ms        one entry per key: keydown's timestamp → the
//                       character in the editor's DOM (50 keys, mid cell)
//
// Runs alternate between the two clicks (a user's first), so each of the
// three interactive rows has half of them; the other rows have all runs.
//
// Usage: node bench-notebook.mjs [--cells 2000] [--runs 6] [--keys 50]
// Needs QUIRE_BIN (default ../../bin/quire) and CHROMIUM (/usr/bin/chromium).
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  CHROMIUM, QUIRE_BIN, code, display, launchBrowser, login, makePng, markdown, newPage, notebook, notebookUrl, result,
  startServer, stream, writeNotebook,
} from "./harness.mjs";

const { values: opt } = parseArgs({
  options: {
    cells: { type: "string", default: "2000" },
    runs: { type: "string", default: "6" },
    keys: { type: "string", default: "50" },
  },
});
const N = Math.max(3, parseInt(opt.cells, 10));
const RUNS = Math.max(1, parseInt(opt.runs, 10));
const KEYS = Math.max(1, parseInt(opt.keys, 10));
const TIMEOUT = 180_000;

for (const [what, p] of [["QUIRE_BIN", QUIRE_BIN], ["CHROMIUM", CHROMIUM]]) {
  if (!existsSync(p)) {
    process.stderr.write(`bench-notebook: ${what} ${p} does not exist\n`);
    process.exit(3);
  }
}

/** build makes the N-cell notebook: code cells with short results, some streams, a PNG every 50th, markdown with headings and math. */
function build(n) {
  const png = makePng(32, 32, (x, y) => [x * 8, y * 8, 128]);
  const cells = [];
  for (let i = 0; i < n; i++) {
    if (i === n - 1) {
      cells.push(code(`last = ${i}\nlast`, [result({ "text/plain": "last-cell-output" }, i)], i));
    } else if (i > 0 && i % 50 === 0) {
      cells.push(code(`show_png(${i})`, [display({ "image/png": png, "text/plain": "<Image>" })], i));
    } else if (i > 0 && i % 10 === 5) {
      cells.push(markdown(`## Section ${i}\n\nSome text about step ${i}, with math $x_{${i}}^2 + \\alpha$ and *emphasis*.`));
    } else if (i % 7 === 3) {
      cells.push(code(`for k in range(3):\n    print("row", ${i}, k)`, [stream(`row ${i} 0\nrow ${i} 1\nrow ${i} 2\n`)], i));
    } else {
      cells.push(code(`x${i} = ${i} * 2\nx${i}`, [result({ "text/plain": String(i * 2) }, i)], i));
    }
  }
  return notebook(cells);
}

const median = (a) => {
  const s = a.filter((v) => v !== null).sort((x, y) => x - y);
  if (!s.length) return null;
  const m = (s.length - 1) / 2;
  return (s[Math.floor(m)] + s[Math.ceil(m)]) / 2;
};
const quantile = (a, q) => {
  const s = a.slice().sort((x, y) => x - y);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
};
const round = (v) => (v === null ? null : Math.round(v * 10) / 10);

const MID = (() => {
  let m = Math.floor(N / 2);
  while (m % 10 === 5 || m % 50 === 0) m++; // a plain code cell
  return m;
})();

/** seen waits for the page's own watch of the first cell (the init script's
 *  __quireVisible) and returns where to click; a call that meets the
 *  document being replaced (the navigation commits), or one before the
 *  script ran, asks again. */
async function seen(page) {
  for (let tries = 0; ; tries++) {
    let at = null;
    try {
      at = await page.evaluate(() => window.__quireVisible ?? null);
    } catch (e) {
      if (tries >= 50 || !/context was destroyed|navigat/i.test(String(e && e.message))) throw e;
    }
    if (at) return { x: at.x, y: at.y };
    if (tries >= 50) throw new Error("the page never installed its watch of the first cell");
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function oneRun(browser, server, withKeys, userClick) {
  const { page, context } = await newPage(browser);
  page.setDefaultTimeout(TIMEOUT);
  await login(page, server);
  // (a)'s end, timed where it happens: the first mutation after which the
  // first cell's editor holds the typed text and the notebook is in edit mode.
  await page.addInitScript(() => {
    const w = window;
    w.__quireTyped = null;
    const check = () => {
      if (w.__quireTyped !== null) return;
      const c = document.querySelector('[data-testid="cell"] [data-testid="cell-input"]');
      const nb = document.querySelector('[data-testid="notebook"]');
      if (c && (c.textContent || "").includes("#q") && (!nb || nb.getAttribute("data-mode") !== "command")) w.__quireTyped = performance.now();
    };
    const mo = new MutationObserver(check);
    const start = () => mo.observe(document.documentElement, { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ["data-mode"] });
    if (document.documentElement) start();
    else document.addEventListener("DOMContentLoaded", start);
    // Where a user would click: the first cell's input, once a frame shows it.
    w.__quireVisible = new Promise((resolve) => {
      const look = () => {
        const c = document.querySelector('[data-testid="cell"] [data-testid="cell-input"]');
        const r = c && c.getBoundingClientRect();
        if (r && r.width > 0 && r.height > 0 && r.top < innerHeight && getComputedStyle(c).visibility === "visible") {
          resolve({ x: r.left + Math.min(40, r.width / 2), y: r.top + Math.min(r.height, innerHeight - r.top) / 2 });
        } else requestAnimationFrame(look);
      };
      requestAnimationFrame(look);
    });
  });
  await page.goto(notebookUrl(server, "big.ipynb"), { waitUntil: "commit" });

  // (a) interactive: first cell visible, click → edit mode, typed text in the editor.
  const first = page.locator('[data-testid="cell"]').first().locator('[data-testid="cell-input"]');
  if (userClick) {
    const at = await seen(page);
    await page.mouse.click(at.x, at.y);
  } else {
    await first.waitFor({ state: "visible", timeout: TIMEOUT });
    await first.click();
  }
  await page.keyboard.type("#q", { delay: 0 });
  const polled = await (await page.waitForFunction(() => {
    const c = document.querySelector('[data-testid="cell"] [data-testid="cell-input"]');
    const nb = document.querySelector('[data-testid="notebook"]');
    return c && (c.textContent || "").includes("#q") && (!nb || nb.getAttribute("data-mode") !== "command") ? performance.now() : false;
  }, null, { polling: "raf", timeout: TIMEOUT })).jsonValue();
  const interactive = await page.evaluate(() => window.__quireTyped);
  if (interactive === null) throw new Error("the typed text showed to waitForFunction but not to the page's MutationObserver");

  // (b) right after that, scroll to the last cell: when is its output in the
  // DOM, and when is it in the viewport with a frame painted?
  const last = await page.evaluate((n) => {
    const t0 = performance.now();
    const scrollers = () => {
      const out = [document.scrollingElement];
      let el = document.querySelector('[data-testid="notebook"]');
      while (el) {
        const s = getComputedStyle(el);
        if (/(auto|scroll)/.test(s.overflowY) && el.scrollHeight > el.clientHeight) out.push(el);
        el = el.parentElement;
      }
      return out;
    };
    const lastCell = () => {
      const byIndex = document.querySelector(`[data-testid="cell"][data-index="${n - 1}"]`);
      if (byIndex) return byIndex;
      const cs = document.querySelectorAll('[data-testid="notebook"] [data-testid="cell"]');
      return cs.length === n ? cs[cs.length - 1] : null;
    };
    let dom = null;
    return new Promise((resolve) => {
      const tick = () => {
        const c = lastCell();
        if (c) c.scrollIntoView({ block: "end" });
        else for (const s of scrollers()) s.scrollTop = s.scrollHeight;
        const out = c && [...c.querySelectorAll('[data-testid="output"]')].find((o) => (o.textContent || "").includes("last-cell-output"));
        if (out) {
          if (dom === null) dom = performance.now();
          const r = out.getBoundingClientRect();
          if (r.height > 0 && r.bottom > 0 && r.top < innerHeight) {
            requestAnimationFrame(() => {
              const view = performance.now();
              resolve({ dom, view, scroll: view - t0 });
            });
            return;
          }
        }
        requestAnimationFrame(tick);
      };
      tick();
    });
  }, N);

  // (c) keystroke latency in a middle cell.
  let keys = [];
  if (withKeys) {
    const mid = page.locator(`[data-testid="cell"][data-index="${MID}"] [data-testid="cell-input"]`);
    await mid.scrollIntoViewIfNeeded();
    await mid.click();
    await page.keyboard.press("Control+End");
    await page.evaluate((sel) => {
      const host = document.querySelector(sel);
      const w = window;
      w.__bench = { lat: [], frame: [], pending: null };
      window.addEventListener("keydown", (e) => {
        if (e.key.length === 1) w.__bench.pending = { t: e.timeStamp, len: (host.textContent || "").length };
      }, true);
      new MutationObserver(() => {
        const p = w.__bench.pending;
        if (p && (host.textContent || "").length > p.len) {
          const now = performance.now();
          w.__bench.pending = null;
          w.__bench.lat.push(now - p.t);
          requestAnimationFrame(() => w.__bench.frame.push(performance.now() - p.t));
        }
      }).observe(host, { childList: true, subtree: true, characterData: true });
    }, `[data-testid="cell"][data-index="${MID}"] [data-testid="cell-input"]`);
    const letters = "abcdefghijklmnopqrstuvwxyz";
    for (let i = 0; i < KEYS; i++) {
      await page.keyboard.press(letters[i % letters.length]);
      await page.waitForFunction((k) => window.__bench.frame.length > k, i, { polling: "raf", timeout: 10_000 });
    }
    keys = await page.evaluate(() => ({ dom: window.__bench.lat, frame: window.__bench.frame }));
  }
  await context.close();
  return { userClick, interactive, polled, lastDom: last.dom, lastView: last.view, lastScroll: last.scroll, keys };
}

const server = await startServer({ name: "bench", setup: (root) => writeNotebook(root, "big.ipynb", build(N)) });
let browser;
try {
  browser = await launchBrowser();
  const runs = [];
  for (let r = 0; r < RUNS; r++) runs.push(await oneRun(browser, server, r === RUNS - 1, r % 2 === 0));
  const user = runs.filter((r) => r.userClick);
  const loc = runs.filter((r) => !r.userClick);
  const keys = runs[runs.length - 1].keys;
  const out = {
    cells: N,
    runs: RUNS,
    chromium: browser.version(),
    interactive_ms: user.map((r) => round(r.interactive)),
    interactive_locator_ms: loc.map((r) => round(r.interactive)),
    interactive_polled_ms: loc.map((r) => round(r.polled)),
    last_dom_ms: runs.map((r) => round(r.lastDom)),
    last_view_ms: runs.map((r) => round(r.lastView)),
    scroll_to_last_ms: runs.map((r) => round(r.lastScroll)),
    keystroke_ms: keys.dom.map(round),
    keystroke_frame_ms: keys.frame.map(round),
    interactive_median_ms: round(median(user.map((r) => r.interactive))),
    interactive_locator_median_ms: loc.length ? round(median(loc.map((r) => r.interactive))) : null,
    interactive_polled_median_ms: loc.length ? round(median(loc.map((r) => r.polled))) : null,
    last_dom_median_ms: round(median(runs.map((r) => r.lastDom))),
    last_view_median_ms: round(median(runs.map((r) => r.lastView))),
    scroll_to_last_median_ms: round(median(runs.map((r) => r.lastScroll))),
    keystroke_p50_ms: keys.dom.length ? round(quantile(keys.dom, 0.5)) : null,
    keystroke_p99_ms: keys.dom.length ? round(quantile(keys.dom, 0.99)) : null,
    keystroke_frame_p50_ms: keys.frame.length ? round(quantile(keys.frame, 0.5)) : null,
    keystroke_frame_p99_ms: keys.frame.length ? round(quantile(keys.frame, 0.99)) : null,
  };
  process.stdout.write(JSON.stringify(out) + "\n");
} catch (e) {
  process.stderr.write("bench-notebook: " + (e && e.stack ? e.stack : e) + "\n");
  process.exitCode = 1;
} finally {
  await browser?.close();
  await server.stop();
}
