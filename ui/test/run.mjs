// Runs the unit tests of the UI's pure modules under Node's built-in test
// runner. Node 20 cannot load TypeScript, so each test/*.test.ts is bundled
// first with rolldown (Vite's bundler, already installed) into
// node_modules/.cache/quire-ui-test/, then `node --test` runs the bundles.
import { build } from "rolldown";
import { readdirSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, "..", "node_modules", ".cache", "quire-ui-test");
rmSync(out, { recursive: true, force: true });
const filter = process.argv[2];
const files = readdirSync(here)
  .filter((f) => f.endsWith(".test.ts") && (!filter || f.includes(filter)))
  .map((f) => path.join(here, f));
if (files.length === 0) {
  console.error("no tests found");
  process.exit(1);
}
await build({
  input: files,
  platform: "node",
  logLevel: "warn",
  output: { dir: out, format: "esm", entryFileNames: "[name].mjs" },
});
const bundles = readdirSync(out)
  .filter((f) => f.endsWith(".test.mjs"))
  .map((f) => path.join(out, f));
const r = spawnSync(process.execPath, ["--test", ...bundles], { stdio: "inherit" });
process.exit(r.status ?? 1);
