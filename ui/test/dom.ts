// A tiny test harness for *.dom.test.ts, which run in headless Chromium
// (see run.mjs): domTest registers a test, and once the page has loaded
// every test runs in order and the results go into <pre id="quire-results">
// as JSON for run.mjs to read.
type Result = { name: string; ok: boolean; error?: string };
const tests: { name: string; fn: () => void | Promise<void> }[] = [];

export function domTest(name: string, fn: () => void | Promise<void>): void {
  tests.push({ name, fn });
}

window.addEventListener("load", async () => {
  const results: Result[] = [];
  for (const t of tests) {
    try {
      await t.fn();
      results.push({ name: t.name, ok: true });
    } catch (e) {
      results.push({ name: t.name, ok: false, error: String(e instanceof Error ? e.stack || e.message : e) });
    }
  }
  const pre = document.createElement("pre");
  pre.id = "quire-results";
  pre.textContent = JSON.stringify(results);
  document.body.append(pre);
});

export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

/** nextFrame waits for the browser to handle queued navigation and layout. */
export function nextFrame(): Promise<void> {
  return new Promise((r) => setTimeout(r, 50));
}
