import { code, display, launchBrowser, login, makePng, markdown, newPage, notebook, notebookUrl, result, startServer, stream, writeNotebook } from "./harness.mjs";
const N = +(process.argv[2] || 2000);
function build(n) {
  const png = makePng(32, 32, (x, y) => [x * 8, y * 8, 128]);
  const cells = [];
  for (let i = 0; i < n; i++) {
    if (i > 0 && i % 50 === 0) cells.push(code(`show_png(${i})`, [display({ "image/png": png, "text/plain": "<Image>" })], i));
    else if (i > 0 && i % 10 === 5) cells.push(markdown(`## Section ${i}\n\nSome text about step ${i}, with math $x_{${i}}^2 + \\alpha$ and *emphasis*.`));
    else if (i % 7 === 3) cells.push(code(`for k in range(3):\n    print("row", ${i}, k)`, [stream(`row ${i} 0\nrow ${i} 1\nrow ${i} 2\n`)], i));
    else cells.push(code(`x${i} = ${i} * 2\nx${i}`, [result({ "text/plain": String(i * 2) }, i)], i));
  }
  return notebook(cells);
}
const server = await startServer({ name: "prof", setup(root) { writeNotebook(root, "big.ipynb", build(N)); } });
const browser = await launchBrowser();
const { page, context } = await newPage(browser);
await login(page, server);
// warm once
await page.goto(notebookUrl(server, "big.ipynb"));
await page.locator('[data-testid="cell"]').first().waitFor();
await page.goto(server.url + "tree");
const cdp = await context.newCDPSession(page);
const events = [];
cdp.on("Tracing.dataCollected", (d) => events.push(...d.value));
const done = new Promise((r) => cdp.once("Tracing.tracingComplete", r));
await cdp.send("Tracing.start", { categories: "devtools.timeline,v8.execute,disabled-by-default-devtools.timeline", transferMode: "ReportEvents" });
await page.goto(notebookUrl(server, "big.ipynb"), { waitUntil: "commit" });
const first = page.locator('[data-testid="cell"]').first().locator('[data-testid="cell-input"]');
await first.waitFor({ state: "visible" });
const tf = await page.evaluate(() => performance.now());
await first.click();
await page.keyboard.type("#q", { delay: 0 });
const t = await (await page.waitForFunction(() => {
  const c = document.querySelector('[data-testid="cell"] [data-testid="cell-input"]');
  return c && (c.textContent || "").includes("#q") ? performance.now() : false;
}, null, { polling: "raf" })).jsonValue();
await cdp.send("Tracing.end");
await done;
console.log("first", Math.round(tf), "interactive", Math.round(t));
// renderer main thread: the thread with most X events named RunTask? pick by CrRendererMain thread_name
const names = events.filter((e) => e.name === "thread_name" && e.args?.name === "CrRendererMain").map((e) => `${e.pid}:${e.tid}`);
const main = new Set(names);
const agg = new Map();
let t0 = Infinity;
for (const e of events) if (main.has(`${e.pid}:${e.tid}`) && e.ph === "X" && e.name === "RunTask") t0 = Math.min(t0, e.ts);
const tl = [];
for (const e of events) {
  if (!main.has(`${e.pid}:${e.tid}`) || e.ph !== "X" || !e.dur) continue;
  if (["Layout", "UpdateLayoutTree", "Paint", "PrePaint", "ParseHTML", "EvaluateScript", "v8.compile", "FunctionCall", "TimerFire", "FireIdleCallback", "FireAnimationFrame", "EventDispatch", "IntersectionObserverController::computeIntersections", "Layerize", "HitTest", "v8.evaluateModule", "ParseAuthorStyleSheet", "GCEvent", "MajorGC", "MinorGC", "V8.GC_SCAVENGER"].includes(e.name) || e.name.startsWith("v8")) {
    agg.set(e.name, (agg.get(e.name) || 0) + e.dur / 1000);
    if (e.dur > 30000) tl.push(`${Math.round((e.ts - t0) / 1000)} +${Math.round(e.dur / 1000)} ${e.name} ${JSON.stringify(e.args?.data?.functionName || e.args?.data?.url || e.args?.data?.type || "").slice(0, 60)}`);
  }
}
console.log([...agg].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([k, v]) => `${v.toFixed(0)}ms ${k}`).join("\n"));
console.log(tl.join("\n"));
await context.close(); await browser.close(); await server.stop();
