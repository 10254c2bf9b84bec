// Editing with the kernel's help against a real ipykernel: Tab completion
// (and Tab that still indents), Shift-Tab inspection, the pager for `len?`,
// set_next_input (%load) and ask_exit; screenshots of each in light and
// dark themes at 1280 and 390 px. The completion popup's delay after the
// kernel's reply is measured and printed, not asserted.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  T, cell, cells, code, dumpOnFail, expectText, launchBrowser, loggedIn, login, newPage, notebook, openNotebook, outputs, poll,
  runCell, screenshot, setSource, startServer, tid, waitKernel, writeNotebook,
} from "./harness.mjs";

let browser, server;
const SNIPPET = "x = 40 + 2\nprint(x)\n";

before(async () => {
  browser = await launchBrowser();
  server = await startServer({
    name: "completion",
    setup(root) {
      writeNotebook(root, "complete.ipynb", notebook([code("")]));
      writeNotebook(root, "exit.ipynb", notebook([code("")]));
      writeNotebook(root, "shots.ipynb", notebook([code("")]));
      writeFileSync(join(root, "snippet.py"), SNIPPET);
    },
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const popup = (page) => page.locator(".cm-tooltip-autocomplete");
const options = (page) => popup(page).locator('li[role="option"]');
const tooltip = (page) => tid(page, "inspect-tooltip");
const editorText = (page, i) => cell(page, i).locator(".cm-content").evaluate((el) => [...el.querySelectorAll(".cm-line")].map((l) => l.textContent).join("\n"));

/** armPopupClock records (in the page) when the completion list next appears, and forgets the last reply mark. */
async function armPopupClock(page) {
  await page.evaluate(() => {
    performance.clearMarks("quire:complete-reply");
    window.__popupAt = 0;
    const mo = new MutationObserver(() => {
      if (document.querySelector(".cm-tooltip-autocomplete li[role=option]")) {
        window.__popupAt = performance.now();
        mo.disconnect();
      }
    });
    mo.observe(document.body, { childList: true, subtree: true });
  });
}

/** popupDelay is how long after the kernel's reply arrived the list appeared (ms). */
async function popupDelay(page) {
  return page.evaluate(() => {
    const marks = performance.getEntriesByName("quire:complete-reply");
    const at = window.__popupAt;
    if (!marks.length || !at) return null;
    return at - marks[marks.length - 1].startTime;
  });
}

/** pick moves the completion list's selection to label (arrow keys) and accepts it with Tab. */
async function pick(page, label) {
  for (let n = 0; n < 80; n++) {
    const sel = await popup(page).locator('li[aria-selected] .cm-completionLabel').textContent();
    if (sel === label) {
      await page.keyboard.press("Tab");
      return;
    }
    await page.keyboard.press("ArrowDown");
  }
  throw new Error(`${label} is not in the completion list`);
}

const delays = [];

describe("completion and inspection", () => {
  let page, context, log;
  before(async () => {
    ({ page, context, log } = await loggedIn(browser, server));
    await openNotebook(page, server, "complete.ipynb");
  });
  after(async () => {
    if (delays.length) console.log(`# completion popup after the kernel's reply: ${delays.map((d) => d.toFixed(1)).join(", ")} ms (max ${Math.max(...delays).toFixed(1)})`);
    await context?.close();
  });

  test("Tab after `import o` lists modules from the kernel; picking os completes it", async () => {
    await dumpOnFail(page, "complete-import", async () => {
      await setSource(page, 0, "import o");
      await armPopupClock(page);
      await page.keyboard.press("Tab");
      await options(page).filter({ hasText: /^os/ }).first().waitFor({ timeout: T.kernel });
      const d = await popupDelay(page);
      assert.ok(d !== null, "the reply was marked and the popup seen");
      delays.push(d);
      const labels = await popup(page).locator(".cm-completionLabel").allTextContents();
      assert.ok(labels.includes("os"), `os is offered: ${labels.slice(0, 20).join(" ")}`);
      assert.ok(labels.every((l) => l.startsWith("o")), "only names that start with o");
      // The kernel types its matches (_jupyter_types_experimental) as far as
      // jedi gets in its time ("<unknown>" after that): the first are modules.
      const first = options(page).first();
      assert.equal(await first.locator(".cm-completionIcon-namespace").count(), 1, "a module has the module icon");
      assert.equal(await first.locator(".cm-completionDetail").textContent(), "module");
      await pick(page, "os");
      await poll(async () => (await editorText(page, 0)) === "import os", "the cell reads `import os`");
      assert.equal(await popup(page).count(), 0, "the list closed");
      assert.equal(await tid(page, "notebook").getAttribute("data-mode"), "edit", "still editing");
    });
  });

  test("Tab after `os.pa` offers the module's attributes; path is picked", async () => {
    await dumpOnFail(page, "complete-attr", async () => {
      await runCell(page, 0, "import os");
      await setSource(page, 1, "os.pa");
      await armPopupClock(page);
      await page.keyboard.press("Tab");
      await options(page).first().waitFor({ timeout: T.kernel });
      const d = await popupDelay(page);
      if (d !== null) delays.push(d);
      const labels = await popup(page).locator(".cm-completionLabel").allTextContents();
      assert.ok(labels.includes("path") && labels.includes("pathsep"), `path and pathsep are offered: ${labels.join(" ")}`);
      await pick(page, "path");
      await poll(async () => (await editorText(page, 1)) === "os.path", "the cell reads `os.path`");
    });
  });

  test("keys pressed the moment the list opens go to the list, not to the cell", async () => {
    await dumpOnFail(page, "complete-quick-keys", async () => {
      await runCell(page, 0, "import os");
      await setSource(page, 1, "os.pa");
      const n = await cells(page).count();
      await page.keyboard.press("Tab");
      await options(page).first().waitFor({ timeout: T.kernel });
      // No pause: the list takes ArrowDown at once (it used to refuse keys
      // for 75 ms, and the key moved the cursor out of the cell instead).
      await page.keyboard.press("ArrowDown");
      await page.keyboard.press("ArrowDown");
      assert.equal(await popup(page).count(), 1, "the list is still open");
      const labels = await popup(page).locator(".cm-completionLabel").allTextContents();
      const selected = await popup(page).locator("li[aria-selected] .cm-completionLabel").textContent();
      assert.equal(selected, labels[2], "two ArrowDowns selected the third option");
      await page.keyboard.press("Enter");
      await poll(async () => (await editorText(page, 1)) === `os.${labels[2]}`, `Enter put os.${labels[2]} in the cell`);
      assert.equal(await cells(page).count(), n, "Enter added no cell");
      assert.equal(await tid(page, "notebook").getAttribute("data-mode"), "edit", "still editing");
    });
  });

  test("Ctrl-Space completes too; Escape closes the list and stays in edit mode", async () => {
    await setSource(page, 1, "os.get");
    for (let n = 0; n < 5; n++) {
      await armPopupClock(page);
      await page.keyboard.press("Control+Space");
      await options(page).first().waitFor({ timeout: T.kernel });
      const d = await popupDelay(page);
      if (d !== null) delays.push(d);
      await page.keyboard.press("Escape");
      await poll(async () => (await popup(page).count()) === 0, "Escape closed the list");
    }
    await page.keyboard.press("Control+Space");
    await options(page).first().waitFor({ timeout: T.kernel });
    const labels = await popup(page).locator(".cm-completionLabel").allTextContents();
    assert.ok(labels.includes("getcwd"), `getcwd is offered: ${labels.join(" ")}`);
    await page.keyboard.press("Escape");
    await poll(async () => (await popup(page).count()) === 0, "Escape closed the list");
    assert.equal(await tid(page, "notebook").getAttribute("data-mode"), "edit", "the first Escape only closed the list");
    assert.equal(await editorText(page, 1), "os.get");
  });

  test("a busy kernel still completes, with a spinner meanwhile; typing goes on and the stale reply is dropped", async () => {
    await dumpOnFail(page, "complete-busy", async () => {
      await runCell(page, 2, "import time; time.sleep(4)", { wait: false });
      await waitKernel(page, "busy");
      await setSource(page, 1, "import os; os.pa");
      await page.evaluate(() => performance.clearMarks("quire:complete-reply"));
      await page.keyboard.press("Tab");
      const editor = cell(page, 1).locator(".cm-editor");
      await poll(async () => (await editor.getAttribute("class")).includes("nb-completing"), "the spinner shows while the kernel is busy");
      assert.equal(await editor.getAttribute("aria-busy"), "true");
      // Typing is not blocked; the reply for "os.pa" is for text that changed, so it is dropped and "import os; os.pat" asked.
      await page.keyboard.type("t");
      assert.equal(await editorText(page, 1), "import os; os.pat");
      await options(page).first().waitFor({ timeout: T.kernel });
      const labels = await popup(page).locator(".cm-completionLabel").allTextContents();
      assert.ok(labels.includes("path") && !labels.includes("pardir"), `only the answer for os.pat: ${labels.join(" ")}`);
      await poll(async () => !(await editor.getAttribute("class")).includes("nb-completing"), "the spinner goes");
      await page.keyboard.press("Escape");
      await waitKernel(page, "idle");
      assert.equal(await page.evaluate(() => performance.getEntriesByName("quire:complete-reply").length), 1, "one reply used: the one for os.pa was dropped");
    });
  });

  test("Tab at the start of a line or after a space indents, and asks the kernel nothing", async () => {
    await setSource(page, 1, "pass");
    await page.evaluate(() => performance.clearMarks("quire:complete-reply"));
    await page.keyboard.press("Home");
    await page.keyboard.press("Tab");
    await poll(async () => (await editorText(page, 1)) === "    pass", "Tab indented the line");
    await page.keyboard.press("End");
    await page.keyboard.type(" ");
    await page.keyboard.press("Tab");
    await poll(async () => /^ {4}pass {2,}$/.test(await editorText(page, 1)), "Tab after a space inserted spaces");
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(await popup(page).count(), 0, "no completion list");
    assert.equal(await page.evaluate(() => performance.getEntriesByName("quire:complete-reply").length), 0, "no completion request was answered");
  });

  test("Tab inside a string completes a path", async () => {
    await setSource(page, 1, 'open("snip');
    await page.keyboard.press("Tab");
    await options(page).first().waitFor({ timeout: T.kernel });
    const labels = await popup(page).locator(".cm-completionLabel").allTextContents();
    assert.ok(labels.some((l) => l.includes("snippet.py")), `snippet.py is offered: ${labels.join(" ")}`);
    await page.keyboard.press("Escape");
  });

  test("Shift-Tab on `len(` shows the signature; again expands it; Escape closes it", async () => {
    await dumpOnFail(page, "inspect", async () => {
      await setSource(page, 1, "len(");
      await page.keyboard.press("Shift+Tab");
      await tooltip(page).waitFor({ timeout: T.kernel });
      await expectText(tooltip(page), /len\(obj, \/\)/);
      const text = await tooltip(page).textContent();
      assert.ok(!text.includes("\u001b["), "ANSI escapes are rendered, not shown");
      assert.ok((await tooltip(page).locator('[class*="q-ansi-fg-"]').count()) > 0, "the reply's colours are rendered");
      assert.equal(await editorText(page, 1), "len(", "Shift-Tab did not dedent or change the text");
      const h0 = (await tooltip(page).boundingBox()).height;
      await page.keyboard.press("Shift+Tab");
      await poll(async () => (await tooltip(page).getAttribute("class")).includes("nb-inspect-expanded"), "the second Shift-Tab expands");
      assert.ok((await tooltip(page).boundingBox()).height >= h0);
      await page.keyboard.press("Escape");
      await poll(async () => (await tooltip(page).count()) === 0, "Escape closed the tooltip");
      assert.equal(await tid(page, "notebook").getAttribute("data-mode"), "edit", "the first Escape only closed the tooltip");
    });
  });

  test("`len?` opens the pager, not an output; the close button and Escape close it", async () => {
    await dumpOnFail(page, "pager", async () => {
      await runCell(page, 1, "len?");
      const pager = tid(page, "pager");
      await pager.waitFor({ state: "visible", timeout: T.kernel });
      await expectText(pager, /Signature:\s*len\(obj, \/\)/);
      assert.equal(await outputs(page, 1).count(), 0, "no output in the cell");
      assert.ok((await pager.locator('[class*="q-ansi-fg-"]').count()) > 0, "ANSI colours rendered");
      assert.ok(!(await pager.textContent()).includes("\u001b["));
      await tid(page, "pager-close").click();
      await pager.waitFor({ state: "hidden" });
      await runCell(page, 1, "len??");
      await pager.waitFor({ state: "visible", timeout: T.kernel });
      await expectText(pager, /Signature:\s*len\(obj, \/\)/);
      await page.keyboard.press("Escape"); // to command mode
      await poll(async () => (await tid(page, "notebook").getAttribute("data-mode")) === "command", "command mode");
      await page.keyboard.press("Escape");
      await pager.waitFor({ state: "hidden" });
    });
  });

  test("%load replaces its own cell (replace: true); set_next_input fills the next cell", async () => {
    await dumpOnFail(page, "next-input", async () => {
      await runCell(page, 2, "%load snippet.py");
      await poll(async () => (await editorText(page, 2)) === "# %load snippet.py\n" + SNIPPET, "the loaded code is in the cell", T.kernel);
      await setSource(page, 3, "get_ipython().set_next_input('y = 6 * 7')");
      await page.keyboard.press("Control+Enter");
      await expectText(cell(page, 4).locator('[data-testid="cell-input"]'), "y = 6 * 7", T.kernel);
      assert.equal(await editorText(page, 3), "get_ipython().set_next_input('y = 6 * 7')", "the running cell kept its text");
      // An empty code cell after it (Shift-Enter at the end makes one) is filled rather than pushed down.
      await setSource(page, 5, "get_ipython().set_next_input('z = 1')");
      await page.keyboard.press("Shift+Enter");
      await expectText(cell(page, 6).locator('[data-testid="cell-input"]'), "z = 1", T.kernel);
      assert.equal(await page.locator('[data-testid="notebook"] [data-testid="cell"]').count(), 7, "no extra cell");
    });
  });

  test("no CSP violations or page errors", () => {
    assert.deepEqual(log.csp, []);
    assert.deepEqual(log.pageErrors, []);
  });
});

test("exit() shuts the kernel down (ask_exit) and the page says so", async () => {
  const { page, context, log } = await loggedIn(browser, server);
  try {
    await dumpOnFail(page, "ask-exit", async () => {
      await openNotebook(page, server, "exit.ipynb");
      const api = (p) => page.evaluate(async (u) => (await fetch(new URL(u, location.href))).json(), "../" + p);
      const id = (await api("api/sessions")).find((s) => s.path === "exit.ipynb")?.kernel?.id;
      assert.ok(id, "the notebook has a kernel");
      await setSource(page, 0, "exit()");
      await page.keyboard.press("Control+Enter");
      await waitKernel(page, "dead", T.kernel);
      await tid(page, "kernel-dead").waitFor({ timeout: T.short });
      await poll(async () => !(await api("api/kernels")).some((k) => k.id === id), "the kernel is shut down");
    });
    assert.deepEqual(log.pageErrors, []);
  } finally {
    await context.close();
  }
});

describe("screenshots", () => {
  for (const scheme of ["light", "dark"]) {
    for (const width of [1280, 390]) {
      test(`completion, inspection and pager, ${scheme} at ${width} px`, async () => {
        const ctx = await browser.newContext({ viewport: { width, height: width > 500 ? 800 : 780 }, colorScheme: scheme });
        const { page, log } = await newPage(browser, ctx);
        try {
          await login(page, server);
          await openNotebook(page, server, "shots.ipynb");
          const tag = `${scheme}-${width}`;
          await runCell(page, 0, "import os");
          await setSource(page, 1, "os.pa");
          await page.keyboard.press("Tab");
          await options(page).first().waitFor({ timeout: T.kernel });
          await page.waitForTimeout(150);
          await screenshot(page, `completion-${tag}.png`);
          await page.keyboard.press("Escape");
          await setSource(page, 1, "len(");
          await page.keyboard.press("Shift+Tab");
          await tooltip(page).waitFor({ timeout: T.kernel });
          await screenshot(page, `inspect-${tag}.png`);
          await page.keyboard.press("Shift+Tab");
          await poll(async () => (await tooltip(page).getAttribute("class")).includes("nb-inspect-expanded"), "expanded");
          await screenshot(page, `inspect-expanded-${tag}.png`);
          await page.keyboard.press("Escape");
          await runCell(page, 1, "len?");
          await tid(page, "pager").waitFor({ state: "visible", timeout: T.kernel });
          await screenshot(page, `pager-${tag}.png`);
          await tid(page, "pager-close").click();
          assert.deepEqual(log.csp, []);
          assert.deepEqual(log.pageErrors, []);
        } finally {
          await ctx.close();
        }
      });
    }
  }
});
