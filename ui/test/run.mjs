// Runs the unit tests of the UI. Node 20 cannot load TypeScript, so each
// test/*.test.ts is bundled first with rolldown (Vite's bundler, already
// installed) into node_modules/.cache/quire-ui-test/, then `node --test`
// runs the bundles.
//
// Modules that need a real DOM (the sanitiser, markdown rendering) are
// tested by test/*.dom.test.ts instead: each is bundled for the browser
// into a page that headless Chromium (Debian's, or $CHROMIUM) loads with
// --dump-dom; the page writes its results into <pre id="quire-results">.
// Without Chromium those tests are reported as skipped, loudly.
import { build } from "rolldown";
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, "..", "node_modules", ".cache", "quire-ui-test");
rmSync(out, { recursive: true, force: true });
const filter = process.argv[2];
const all = readdirSync(here).filter((f) => f.endsWith(".test.ts") && (!filter || f.includes(filter)));
const nodeFiles = all.filter((f) => !f.endsWith(".dom.test.ts")).map((f) => path.join(here, f));
const domFiles = all.filter((f) => f.endsWith(".dom.test.ts")).map((f) => path.join(here, f));
if (all.length === 0) {
  console.error("no tests found");
  process.exit(1);
}
let status = 0;
if (nodeFiles.length > 0) {
  await build({
    input: nodeFiles,
    platform: "node",
    logLevel: "warn",
    output: { dir: out, format: "esm", entryFileNames: "[name].mjs" },
  });
  const bundles = readdirSync(out)
    .filter((f) => f.endsWith(".test.mjs"))
    .map((f) => path.join(out, f));
  const r = spawnSync(process.execPath, ["--test", ...bundles], { stdio: "inherit" });
  status = r.status ?? 1;
}

// CSS imports are the page's business, not the tests'.
const noCss = {
  name: "no-css",
  resolveId: (source) => (source.endsWith(".css") ? "\0no-css" : null),
  load: (id) => (id === "\0no-css" ? "export {};" : null),
};
const chromium = process.env.CHROMIUM || "/usr/bin/chromium";
for (const file of domFiles) {
  const name = path.basename(file, ".ts");
  if (!existsSync(chromium)) {
    console.error(`SKIPPED ${name}: no Chromium at ${chromium} (set CHROMIUM)`);
    continue;
  }
  const dir = path.join(out, name);
  await build({
    input: file,
    platform: "browser",
    logLevel: "warn",
    plugins: [noCss],
    output: { dir, format: "iife", entryFileNames: "test.js" },
  });
  const page = path.join(dir, "index.html");
  writeFileSync(page, `<!doctype html><html><head><meta charset="utf-8"></head><body><script src="test.js"></script></body></html>`);
  const r = spawnSync(
    chromium,
    ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000", "--dump-dom", pathToFileURL(page).href],
    { encoding: "utf8", timeout: 60000 },
  );
  const m = /<pre id="quire-results">([\s\S]*?)<\/pre>/.exec(r.stdout || "");
  if (!m) {
    console.error(`FAIL ${name}: the page reported no results\n${r.stderr}`);
    status = 1;
    continue;
  }
  const results = JSON.parse(m[1].replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&"));
  for (const t of results) {
    console.log(`${t.ok ? "ok" : "not ok"} - ${name}: ${t.name}${t.ok ? "" : "\n  " + t.error}`);
    if (!t.ok) status = 1;
  }
  if (results.length === 0) {
    console.error(`FAIL ${name}: no tests ran`);
    status = 1;
  }
}
process.exit(status);
