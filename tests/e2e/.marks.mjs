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
const server = await startServer({ name: "marks", setup(root) { writeNotebook(root, "big.ipynb", build(N)); } });
const browser = await launchBrowser();
for (let run = 0; run < 3; run++) {
  const { page, context } = await newPage(browser);
  await login(page, server);
  await page.goto(notebookUrl(server, "big.ipynb"), { waitUntil: "commit" });
  const first = page.locator('[data-testid="cell"]').first().locator('[data-testid="cell-input"]');
  await first.waitFor({ state: "visible" });
  const tFirst = await page.evaluate(() => performance.now());
  await first.click();
  await page.keyboard.type("#q", { delay: 0 });
  const t = await (await page.waitForFunction(() => {
    const c = document.querySelector('[data-testid="cell"] [data-testid="cell-input"]');
    return c && (c.textContent || "").includes("#q") ? performance.now() : false;
  }, null, { polling: "raf" })).jsonValue();
  const marks = await page.evaluate(() => performance.getEntriesByType("mark").map((m) => `${m.name}=${Math.round(m.startTime)}`).join(" "));
  const res = await page.evaluate(() => performance.getEntriesByType("resource").filter((r) => /\.js|contents/.test(r.name)).map((r) => `${r.name.split("/").pop().slice(0, 20)}:${Math.round(r.startTime)}-${Math.round(r.responseEnd)}`).join(" "));
  const nav = await page.evaluate(() => { const n = performance.getEntriesByType("navigation")[0]; return `resp=${Math.round(n.responseEnd)} dcl=${Math.round(n.domContentLoadedEventEnd)}`; });
  console.log(`run ${run}: first=${Math.round(tFirst)} interactive=${Math.round(t)} ${nav}\n  ${marks}\n  ${res}`);
  await context.close();
}
await browser.close(); await server.stop();
