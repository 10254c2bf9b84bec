// The notebook page beside Notebook 6.4's (issue #16): the same notebooks
// opened in headless chromium from Quire and from Debian's Notebook 6.4,
// both already running (bench/uicompare.go starts them). Prints one JSON
// object with every run's marks, in ms from navigation start:
//
//   first  the first cell is in the page with its source text, and in view
//          (Quire: the first [data-testid="cell"], not the plain-text
//          preview; Notebook 6.4: the first .cell of #notebook-container)
//   text   the same for any element showing the first cell's text (Quire's
//          preview counts; for Notebook 6.4 the same as first)
//   all    every cell is in the page with its source text, then (the page
//          scrolled to the last cell) the last cell's output is in the DOM
//          and in view, and a frame has been painted
//
// Each run and server gets a fresh browser context (empty cache), logged in
// outside the timing by a request with ?token= (it sets the cookie but
// loads none of the page's files): cold = the first navigation to the
// notebook, warm = the next one, in the same context. js (jsText) is the
// JavaScript the cold page had loaded by its first (text) mark, from
// resource timing: encoded = body bytes as the server sent them, gzip or
// not; decoded = after decompression; transfer = with headers.
//
// Before the runs, --warmup loads per server (the first notebook, cold and
// warm, uncounted).
//
// Usage: node bench-compare.mjs --servers JSON [--runs 5] [--warmup 1] [--notebooks small,big] [--cells 300]
// where JSON is [{"name", "kind": "quire"|"notebook6", "url", "token", "root"}].
// Needs CHROMIUM (/usr/bin/chromium).
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { CHROMIUM, code, display, launchBrowser, makePng, markdown, notebook, result, stream, writeNotebook } from "./harness.mjs";

const { values: opt } = parseArgs({
  options: {
    servers: { type: "string" },
    runs: { type: "string", default: "5" },
    warmup: { type: "string", default: "1" },
    notebooks: { type: "string", default: "small,big" },
    cells: { type: "string", default: "300" },
  },
});
const RUNS = Math.max(1, parseInt(opt.runs, 10));
const WARMUP = Math.max(0, parseInt(opt.warmup, 10));
const BIG = Math.max(3, parseInt(opt.cells, 10));
const TIMEOUT = 120_000;
const SETTLE = 1500; // ms of quiet after each measured load: kernel starts, lazy work

if (!existsSync(CHROMIUM)) {
  process.stderr.write(`bench-compare: CHROMIUM ${CHROMIUM} does not exist\n`);
  process.exit(3);
}
const servers = JSON.parse(opt.servers || "[]");
if (!servers.length) {
  process.stderr.write("bench-compare: --servers is required\n");
  process.exit(2);
}

// A notebook to write plus, per cell, a probe: text from its source that
// shows whether the cell is rendered as code (CodeMirror or <pre>) or as
// markdown (raw or rendered).

/** small is a ~25 KB notebook of the usual kind: headings and prose, code with short outputs, one HTML table, one small PNG. */
function small() {
  const png = makePng(64, 48, (x, y) => [(x * 4) & 255, (y * 5) & 255, ((x + y) * 3) & 255]);
  const cells = [];
  const probes = [];
  const md = (text, probe) => {
    cells.push(markdown(text));
    probes.push(probe);
  };
  const py = (src, outs, probe) => {
    cells.push(code(src, outs, cells.length + 1));
    probes.push(probe);
  };
  md("# Quarterly sales: cleaning and summary\n\nThis notebook loads the quarterly sales export, drops the test accounts, " +
    "fixes the currency column and summarises revenue by region. Run it top to bottom; it takes about a minute.",
  "Quarterly sales: cleaning and summary");
  py("import csv\nimport statistics\nfrom collections import Counter, defaultdict\nfrom pathlib import Path\n\nDATA = Path(\"exports/2026-q3.csv\")",
    [], "import statistics");
  const regions = ["North", "South", "East", "West", "Central"];
  for (let s = 1; s <= 6; s++) {
    md(`## ${s}. Step ${s}: ${["Load", "Filter", "Currency", "Regions", "Trends", "Export"][s - 1]}\n\n` +
      `What step ${s} does and why: the export has a row per order line, with a header row and a footer of totals that ` +
      `must not be counted. Orders from the *test* accounts (ids below 1000) are kept apart, and **every** amount is ` +
      `converted to euros at the month's rate before anything is added up.\n\n- rows are read as text\n- amounts are parsed once\n- nothing is rounded until the end`,
    `Step ${s}:`);
    py(`def load_${s}(path):\n    rows = []\n    with open(path, newline="") as f:\n        for row in csv.DictReader(f):\n` +
      `            if int(row["account"]) < 1000:\n                continue  # test accounts\n            rows.append(row)\n    return rows\n\nrows_${s} = load_${s}(DATA)\nlen(rows_${s})`,
    [result({ "text/plain": String(10000 + s * 137) }, 0)], `rows_${s} = load_${s}(DATA)`);
    py(`by_region_${s} = defaultdict(float)\nfor r in rows_${s}:\n    by_region_${s}[r["region"]] += float(r["amount"])\n` +
      `for k, v in sorted(by_region_${s}.items()):\n    print(f"{k:<10} {v:>12,.2f}")`,
    [stream(regions.map((k, j) => `${k.padEnd(10)} ${((j + 1) * 12345.67 * s).toFixed(2).padStart(12)}\n`).join(""))],
    `by_region_${s} = defaultdict(float)`);
    py(`statistics.mean(v for v in by_region_${s}.values())`, [result({ "text/plain": String(37037.01 * s) }, 0)],
      `statistics.mean(v for v in by_region_${s}.values())`);
  }
  const rows = regions.map((k, j) => `<tr><th>${j}</th><td>${k}</td><td>${(j + 1) * 12345}</td><td>${(j + 2) * 3}%</td></tr>`).join("");
  py("import pandas as pd\ndf = pd.DataFrame(summary)\ndf",
    [result({
      "text/html": `<div><table border="1" class="dataframe"><thead><tr><th></th><th>region</th><th>revenue</th><th>growth</th></tr></thead><tbody>${rows}</tbody></table></div>`,
      "text/plain": "  region  revenue growth\n" + regions.map((k, j) => `${j} ${k} ${(j + 1) * 12345} ${(j + 2) * 3}%`).join("\n"),
    }, 0)], "df = pd.DataFrame(summary)");
  py("plot_revenue(df)", [display({ "image/png": png, "text/plain": "<Figure size 640x480 with 1 Axes>" })], "plot_revenue(df)");
  md("## Conclusions\n\nRevenue grew in every region; the West grew fastest. The test accounts are *not* in any figure above.", "Conclusions");
  py("last = 'done'\nlast", [result({ "text/plain": "'last-cell-output'" }, 0)], "last = 'done'");
  return { nb: notebook(cells), probes, lastOut: "last-cell-output" };
}

/** big is the many-cell notebook, shaped like bench-notebook.mjs's. */
function big(n) {
  const png = makePng(32, 32, (x, y) => [x * 8, y * 8, 128]);
  const cells = [];
  const probes = [];
  for (let i = 0; i < n; i++) {
    if (i === n - 1) {
      cells.push(code(`last = ${i}\nlast`, [result({ "text/plain": "last-cell-output" }, i)], i));
      probes.push(`last = ${i}`);
    } else if (i > 0 && i % 50 === 0) {
      cells.push(code(`show_png(${i})`, [display({ "image/png": png, "text/plain": "<Image>" })], i));
      probes.push(`show_png(${i})`);
    } else if (i > 0 && i % 10 === 5) {
      cells.push(markdown(`## Section ${i}\n\nSome text about step ${i}, with math $x_{${i}}^2 + \\alpha$ and *emphasis*.`));
      probes.push(`Some text about step ${i},`);
    } else if (i % 7 === 3) {
      cells.push(code(`for k in range(3):\n    print("row", ${i}, k)`, [stream(`row ${i} 0\nrow ${i} 1\nrow ${i} 2\n`)], i));
      probes.push(`print("row", ${i}, k)`);
    } else {
      cells.push(code(`x${i} = ${i} * 2\nx${i}`, [result({ "text/plain": String(i * 2) }, i)], i));
      probes.push(`x${i} = ${i} * 2`);
    }
  }
  return { nb: notebook(cells), probes, lastOut: "last-cell-output" };
}

const books = [];
for (const k of opt.notebooks.split(",")) {
  if (k === "small") books.push({ key: "small", file: "compare-small.ipynb", ...small() });
  else if (k === "big") books.push({ key: "big", file: `compare-${BIG}.ipynb`, ...big(BIG) });
  else {
    process.stderr.write(`bench-compare: unknown notebook ${k}\n`);
    process.exit(2);
  }
}
const sizes = {};
for (const b of books) {
  for (const s of servers) writeNotebook(s.root, b.file, b.nb);
  sizes[b.key] = { cells: b.nb.cells.length, bytes: Buffer.byteLength(JSON.stringify(b.nb, null, 1) + "\n") };
}

/**
 * marker is the init script: every animation frame from the document's
 * start it checks the marks, cheapest first; once every cell is in place it
 * scrolls the last into view (a page may render outputs only near the view).
 */
function marker(a) {
  const w = window;
  const m = (w.__cmp = { first: null, text: null, all: null, cellsAt: null });
  const cellSel = a.kind === "quire" ? '[data-testid="notebook"] [data-testid="cell"]' : "#notebook-container > .cell";
  const textSel = a.kind === "quire" ? ".nb-cell" : "#notebook-container > .cell";
  const outSel = a.kind === "quire" ? '[data-testid="output"]' : ".output_area";
  const inView = (el) => {
    const r = el.getBoundingClientRect();
    return r.height > 0 && r.width > 0 && r.bottom > 0 && r.top < innerHeight;
  };
  const shows = (el, probe) => !!el && (el.textContent || "").includes(probe) && inView(el);
  const tick = () => {
    const now = performance.now();
    if (m.text === null && shows(document.querySelector(textSel), a.probes[0])) m.text = now;
    if (m.first === null && shows(document.querySelector(cellSel), a.probes[0])) m.first = now;
    if (m.cellsAt === null) {
      const cs = document.querySelectorAll(cellSel);
      if (cs.length === a.probes.length && a.probes.every((p, i) => (cs[i].textContent || "").includes(p))) m.cellsAt = now;
    }
    if (m.cellsAt !== null && m.first !== null) {
      const cs = document.querySelectorAll(cellSel);
      const last = cs[cs.length - 1];
      const out = last && [...last.querySelectorAll(outSel)].find((o) => (o.textContent || "").includes(a.lastOut));
      if (out && inView(out)) {
        requestAnimationFrame(() => {
          m.all = performance.now();
        });
        return;
      }
      if (last && !out) last.scrollIntoView({ block: "end" });
      else if (out) out.scrollIntoView({ block: "end" });
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

/** jsBefore sums the JavaScript the page had loaded by time t (ms from navigation start). */
function jsBefore(t) {
  let encoded = 0, decoded = 0, transfer = 0, files = 0;
  const names = [];
  for (const e of performance.getEntriesByType("resource")) {
    const path = new URL(e.name).pathname;
    if (!/\.m?js$/.test(path) || e.responseEnd > t) continue;
    files++;
    names.push(`${path.split("/").pop()} ${e.encodedBodySize}`);
    encoded += e.encodedBodySize;
    decoded += e.decodedBodySize;
    transfer += e.transferSize;
  }
  return { files, encoded, decoded, transfer, names };
}

async function load(page, url) {
  await page.goto(url, { waitUntil: "commit", timeout: TIMEOUT });
  await page.waitForFunction(() => window.__cmp && window.__cmp.all !== null, null, { polling: 200, timeout: TIMEOUT });
  return page.evaluate(() => ({ ...window.__cmp }));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function oneRun(browser, server, book) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    // Log in without loading the page's files: the cookie lands in the context's jar.
    const base = server.url.replace(/\/$/, "");
    const r = await context.request.get(`${base}/tree?token=${encodeURIComponent(server.token)}`, {
      headers: { Accept: "text/html" }, maxRedirects: 0,
    });
    if (r.status() >= 400) throw new Error(`${server.name}: token login answered ${r.status()}`);
    const check = await context.request.get(`${base}/api/contents/${book.file}?content=0`);
    if (!check.ok()) throw new Error(`${server.name}: the login cookie does not open ${book.file}: ${check.status()}`);
    await context.addInitScript(marker, { kind: server.kind, probes: book.probes, lastOut: book.lastOut });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const url = `${base}/notebooks/${book.file}`;
    const cold = await load(page, url);
    const js = await page.evaluate(jsBefore, cold.first);
    const jsText = await page.evaluate(jsBefore, cold.text);
    await sleep(SETTLE);
    const warm = await load(page, url);
    await sleep(SETTLE);
    return { cold, warm, js, jsText, errors };
  } finally {
    await context.close();
  }
}

const browser = await launchBrowser();
try {
  const out = { runs: RUNS, chromium: browser.version(), notebooks: sizes, results: {} };
  for (const s of servers) {
    out.results[s.name] = {};
    for (const b of books) out.results[s.name][b.key] = [];
  }
  // Uncounted: the first load after a server's start pays for its own
  // caches (templates, compressed files) and the browser's first renderer.
  for (let r = 0; r < WARMUP; r++) {
    for (const s of servers) {
      await oneRun(browser, s, books[0]);
      process.stderr.write(`bench-compare: warm-up ${r + 1}/${WARMUP} ${books[0].key} ${s.name} done\n`);
    }
  }
  for (let r = 0; r < RUNS; r++) {
    for (const b of books) {
      const order = r % 2 === 0 ? servers : [...servers].reverse();
      for (const s of order) {
        const got = await oneRun(browser, s, b);
        const f = (v) => (v === null ? null : Math.round(v * 10) / 10);
        process.stderr.write(`bench-compare: run ${r + 1}/${RUNS} ${b.key} ${s.name}: cold first ${f(got.cold.first)} all ${f(got.cold.all)} ms, ` +
          `warm first ${f(got.warm.first)} all ${f(got.warm.all)} ms, JS before first cell ${got.js.files} files ${got.js.encoded} B on the wire\n`);
        for (const e of got.errors) process.stderr.write(`bench-compare: ${s.name} page error: ${e}\n`);
        out.results[s.name][b.key].push(got);
      }
    }
  }
  process.stdout.write(JSON.stringify(out) + "\n");
} catch (e) {
  process.stderr.write("bench-compare: " + (e && e.stack ? e.stack : e) + "\n");
  process.exitCode = 1;
} finally {
  await browser.close();
}
