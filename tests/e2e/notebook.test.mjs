// The notebook view against a real ipykernel: run, rich output, errors,
// interrupt, stdin, save and reload, restart, output that arrives while the
// page is closed, the 412 conflict dialog; no CSP violations meanwhile.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  PNG_16PX, T, answerDialog, dumpOnFail, cell, cells, code, display, error, expectText, launchBrowser, loggedIn, makePng, markdown,
  notebook, notebookUrl, openNotebook, outputs, poll, result, runCell, screenshot, scriptDialogs, setSource,
  startServer, stream, tid, waitKernel, writeNotebook,
} from "./harness.mjs";

let browser, server;
const PRELOADED = "pre load/été's \"(1)\"+x.ipynb";
const OFFLINE_SRC = "import time\nfor i in range(3): time.sleep(1); print(i)";

before(async () => {
  browser = await launchBrowser();
  server = await startServer({
    name: "notebook",
    setup(root) {
      writeNotebook(root, "run.ipynb", notebook([code("")]));
      writeNotebook(root, "offline.ipynb", notebook([code(OFFLINE_SRC)]));
      writeNotebook(root, "conflict.ipynb", notebook([code("a = 1")]));
      writeNotebook(root, "early.ipynb", notebook([code("x = 1"), markdown("# Notes")]));
      mkdirSync(join(root, "pre load"), { recursive: true });
      writeNotebook(root, PRELOADED, notebook([code("y = 'preloaded'")]));
      const grad = makePng(240, 90, (x, y) => [Math.round((255 * x) / 240), Math.round((255 * y) / 90), 190]);
      writeNotebook(root, "showcase.ipynb", notebook([
        markdown("# A showcase\n\nSome *text*, a list:\n\n- one\n- two\n\nand math: $e^{i\\pi} + 1 = 0$ and\n\n$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$"),
        code("print('hello from stdout')", [stream("hello from stdout\n")], 1),
        code("display(Image(...))", [display({ "image/png": grad, "text/plain": "<IPython.core.display.Image object>" })], 2),
        code("1/0", [error("ZeroDivisionError", "division by zero", [
          "\u001b[0;31m---------------------------------------------------------------------------\u001b[0m",
          "\u001b[0;31mZeroDivisionError\u001b[0m                         Traceback (most recent call last)",
          "Cell \u001b[0;32mIn[3], line 1\u001b[0m\n\u001b[0;32m----> 1\u001b[0m \u001b[38;5;241m1\u001b[39m\u001b[38;5;241m/\u001b[39m\u001b[38;5;241m0\u001b[39m\n",
          "\u001b[0;31mZeroDivisionError\u001b[0m: division by zero",
        ])], 3),
        code("Markdown(r'Euler: $e^{i\\pi}+1=0$')", [result({ "text/markdown": "**Euler**: $e^{i\\pi}+1=0$", "text/plain": "<IPython.core.display.Markdown object>" }, 4)], 4),
      ]));
    },
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe("running code", () => {
  let page, context, log;
  before(async () => {
    ({ page, context, log } = await loggedIn(browser, server));
    await openNotebook(page, server, "run.ipynb");
  });
  after(async () => {
    await context?.close();
  });

  test("print(6*7) typed and run with Shift-Enter shows 42 and [1]:", async () => {
    await setSource(page, 0, "print(6*7)", { type: true });
    await page.keyboard.press("Shift+Enter");
    await expectText(outputs(page, 0), "42", T.kernel);
    await expectText(cell(page, 0).locator('[data-testid="cell-prompt"]'), "[1]:");
    const out = outputs(page, 0).first();
    assert.equal(await out.getAttribute("data-output-type"), "stream");
    assert.equal(await out.getAttribute("data-name"), "stdout");
  });

  test("an image output is an <img> in an image/png output", async () => {
    const src = `import base64\nfrom IPython.display import Image, display\ndisplay(Image(data=base64.b64decode("${PNG_16PX}")))`;
    await runCell(page, 1, src);
    const img = cell(page, 1).locator('[data-testid="output"][data-mime="image/png"] img');
    await img.waitFor({ timeout: T.short });
    assert.equal(await cell(page, 1).locator('[data-testid="output"][data-mime="image/png"]').getAttribute("data-output-type"), "display_data");
    await poll(() => img.evaluate((el) => el.complete && el.naturalWidth === 16), "the PNG decodes (16 px wide)");
  });

  test("1/0 shows a ZeroDivisionError error output", async () => {
    await runCell(page, 2, "1/0");
    const err = cell(page, 2).locator('[data-testid="output"][data-output-type="error"]');
    await expectText(err, "ZeroDivisionError", T.kernel);
  });

  test("interrupt stops time.sleep(60) with KeyboardInterrupt", async () => {
    await runCell(page, 3, "import time; time.sleep(60)", { wait: false });
    await expectText(cell(page, 3).locator('[data-testid="cell-prompt"]'), "[*]");
    await waitKernel(page, "busy");
    const t0 = Date.now();
    await tid(page, "interrupt").click();
    await expectText(cell(page, 3).locator('[data-testid="output"][data-output-type="error"]'), "KeyboardInterrupt", 15_000);
    assert.ok(Date.now() - t0 < 15_000);
    await waitKernel(page, "idle");
  });

  test("input() asks through stdin-input and the answer reaches the kernel", async () => {
    await runCell(page, 4, 'x = input("name? ")', { wait: false });
    const box = tid(page, "stdin-input");
    await box.waitFor({ timeout: T.kernel });
    await expectText(cell(page, 4), "name?");
    await box.fill("quire-e2e-answer");
    await box.press("Enter");
    await expectText(cell(page, 4).locator('[data-testid="cell-prompt"]'), /\[\d+\]/, T.kernel);
    await runCell(page, 5, "print(x)");
    await expectText(outputs(page, 5), "quire-e2e-answer");
  });

  test("Ctrl-S saves (save-state saved), the file has source and outputs, a reload shows them", async () => {
    // Focus the notebook (command mode) and save.
    await cell(page, 0).locator('[data-testid="cell-input"]').click();
    await page.keyboard.press("Control+S");
    await page.locator('[data-testid="save-state"][data-state="saved"]').waitFor({ timeout: T.short });
    const disk = readFileSync(join(server.root, "run.ipynb"), "utf8");
    assert.ok(disk.includes("print(6*7)"), "source on disk");
    assert.ok(disk.includes("42"), "output on disk");
    const nb = JSON.parse(disk);
    assert.equal(nb.nbformat, 4);
    assert.deepEqual(nb.cells[0].outputs.map((o) => o.output_type), ["stream"]);
    assert.ok(nb.cells[1].outputs.some((o) => o.data && o.data["image/png"]), "the image is saved");
    assert.ok(nb.cells[2].outputs.some((o) => o.ename === "ZeroDivisionError"), "the error is saved");

    await page.reload();
    await tid(page, "notebook").waitFor();
    await expectText(cell(page, 0).locator('[data-testid="cell-input"]'), "print(6*7)");
    await expectText(outputs(page, 0), "42");
    await cell(page, 1).locator('[data-testid="output"][data-mime="image/png"] img').waitFor();
    await expectText(cell(page, 2).locator('[data-testid="output"][data-output-type="error"]'), "ZeroDivisionError");
    await expectText(cell(page, 0).locator('[data-testid="cell-prompt"]'), "[1]:");
  });

  test("restart (confirmed) brings the kernel back to idle and counts restart at [1]:", async () => {
    await dumpOnFail(page, "restart", restartTest);
  });
  async function restartTest() {
    await waitKernel(page, "idle");
    await tid(page, "restart").click();
    await answerDialog(page, /restart/i);
    // Wait for the restart to be seen, then for idle again.
    await poll(async () => {
      const s = await tid(page, "kernel-status").getAttribute("data-state");
      return s === "restarting" || s === "starting" || s === "busy";
    }, "the kernel status shows the restart", T.short, 10).catch(() => {});
    await waitKernel(page, "idle");
    const n = await cells(page).count();
    await runCell(page, n, 'print("after restart")');
    await expectText(outputs(page, n), "after restart");
    await expectText(cell(page, n).locator('[data-testid="cell-prompt"]'), "[1]:");
    // The restarted kernel lost x.
    await runCell(page, n + 1, "print('x' in dir())");
    await expectText(outputs(page, n + 1), "False");
  }

  test("no CSP violations, page errors or dialogs while running the notebook", () => {
    assert.deepEqual(log.csp, [], "CSP violations: " + JSON.stringify(log.csp));
    assert.deepEqual(log.pageErrors, []);
    assert.deepEqual(scriptDialogs(log), []);
  });
});

test("output produced while the page was closed shows when the notebook is reopened", async () => {
  const { page, context, log } = await loggedIn(browser, server);
  await openNotebook(page, server, "offline.ipynb");
  await cell(page, 0).locator('[data-testid="cell-input"]').click();
  await page.keyboard.press("Shift+Enter");
  await expectText(cell(page, 0).locator('[data-testid="cell-prompt"]'), "[*]");
  await page.close();
  await new Promise((r) => setTimeout(r, 4000)); // the loop prints 0 1 2 over 3 s
  const again = await context.newPage();
  await again.goto(notebookUrl(server, "offline.ipynb"));
  await tid(again, "notebook").waitFor();
  await poll(async () => {
    const t = ((await outputs(again, 0).allTextContents()).join(""));
    return /0\s*1\s*2/.test(t);
  }, "outputs 0 1 2 of the run made while the page was closed", T.short);
  assert.deepEqual(scriptDialogs(log), []);
  await context.close();
});

test("a save over a changed file opens the conflict dialog: Keep mine, then Load theirs", async () => {
  const { page, context } = await loggedIn(browser, server);
  await openNotebook(page, server, "conflict.ipynb", { kernel: false });
  const input = cell(page, 0).locator('[data-testid="cell-input"]');
  await expectText(input, "a = 1");

  // Round 1: keep mine.
  await setSource(page, 0, "a = 1  # mine");
  writeNotebook(server.root, "conflict.ipynb", notebook([code("theirs = 2")]));
  await page.keyboard.press("Control+S");
  const dlg = tid(page, "conflict-dialog");
  await dlg.waitFor({ timeout: T.short });
  await dlg.getByRole("button", { name: /keep mine/i }).click();
  await page.locator('[data-testid="save-state"][data-state="saved"]').waitFor({ timeout: T.short });
  await poll(() => readFileSync(join(server.root, "conflict.ipynb"), "utf8").includes("# mine"), "my edit on disk");
  assert.ok(!readFileSync(join(server.root, "conflict.ipynb"), "utf8").includes("theirs = 2"));

  // Round 2: load theirs.
  await setSource(page, 0, "a = 1  # round two");
  writeNotebook(server.root, "conflict.ipynb", notebook([code("theirs_again = 3")]));
  await page.keyboard.press("Control+S");
  await dlg.waitFor({ timeout: T.short });
  await dlg.getByRole("button", { name: /load theirs/i }).click();
  await expectText(cell(page, 0).locator('[data-testid="cell-input"]'), "theirs_again = 3");
  assert.equal(await page.getByText("round two").count(), 0, "my edit is gone from the page");
  assert.ok(readFileSync(join(server.root, "conflict.ipynb"), "utf8").includes("theirs_again = 3"), "disk untouched");
  await context.close();
});

test("screenshot of a notebook with text, image, error and math", async () => {
  const { page, context, log } = await loggedIn(browser, server);
  await openNotebook(page, server, "showcase.ipynb");
  await cell(page, 2).locator('[data-testid="output"][data-mime="image/png"] img').waitFor();
  await expectText(cell(page, 3).locator('[data-testid="output"][data-output-type="error"]'), "ZeroDivisionError");
  await page.locator(".katex").first().waitFor({ timeout: T.short });
  await screenshot(page, "notebook.png");
  assert.deepEqual(log.csp, [], "CSP violations: " + JSON.stringify(log.csp));
  await context.close();
});

// The editor's code (CodeMirror) loads after the first cells show. A user
// who clicks into a cell and types before it has arrived loses nothing.
test("the page asks for a notebook's contents once: its preload answers the view's request", async () => {
  const { page, context, log } = await loggedIn(browser, server);
  try {
    await dumpOnFail(page, "notebook-preload", async () => {
      const asked = [];
      page.on("request", (q) => {
        if (q.method() === "GET" && q.url().includes("/api/contents/")) asked.push(`${q.resourceType()} ${q.url()}`);
      });
      let contentsUrl = "";
      for (let load = 0; load < 2; load++) {
        asked.length = 0;
        await openNotebook(page, server, PRELOADED, { kernel: false });
        await expectText(cell(page, 0).locator('[data-testid="cell-input"]'), "y = 'preloaded'");
        const mine = asked.filter((a) => a.includes("?hash=1&type=notebook"));
        assert.equal(mine.length, 1, `load ${load}: the contents were asked for ${mine.length} times: ${asked.join(", ")}`);
        assert.match(mine[0], /^other /, `load ${load}: asked for by the page's preload, not by a script: ${mine[0]}`);
        contentsUrl = mine[0].slice("other ".length);
      }
      assert.ok(contentsUrl.includes("/api/contents/pre%20load/%C3%A9t%C3%A9's%20%22(1)%22%2Bx.ipynb?"), contentsUrl);
      // The answer was not kept by the browser's cache (API answers are no-store).
      const r = await page.evaluate((u) => fetch(u, { cache: "only-if-cached", mode: "same-origin" }).then((x) => x.status, () => "not cached"), contentsUrl);
      assert.equal(r, "not cached");
      assert.deepEqual(log.pageErrors, []);
    });
  } finally {
    await context.close();
  }
});

describe("editing before the editor's code has arrived", () => {
  let page, context, log;
  before(async () => {
    ({ page, context, log } = await loggedIn(browser, server));
  });
  after(async () => {
    await context?.close();
  });

  test("the first cells show without CodeMirror; keys typed meanwhile land in the editor", async () => {
    await dumpOnFail(page, "notebook-early-typing", async () => {
      // Hold the notebook editor's chunk back until the keys are typed.
      let release;
      const held = new Promise((r) => (release = r));
      const fetched = [];
      await page.route(/\/static\/app\/assets\/[^/]+\.js$/, async (route) => {
        const url = route.request().url();
        fetched.push(url.slice(url.lastIndexOf("/") + 1));
        if (/\/editor-[^/]+\.js$/.test(url)) await held;
        await route.continue();
      });
      await openNotebook(page, server, "early.ipynb", { kernel: false });
      const src = cell(page, 0).locator('[data-testid="cell-input"]');
      await expectText(src, "x = 1");
      assert.equal(await page.locator(".cm-editor").count(), 0, "no editor yet");
      assert.ok(fetched.some((f) => /^editor-/.test(f)), `the editor's chunk was asked for after the first paint: ${fetched}`);
      // Click at the end of "x = 1", type, and let the editor's code in.
      const box = await src.locator("pre").boundingBox();
      await page.mouse.click(box.x + box.width - 4, box.y + box.height / 2);
      await poll(async () => (await tid(page, "notebook").getAttribute("data-mode")) === "edit", "edit mode");
      await page.keyboard.type("23");
      await page.keyboard.press("Backspace");
      await page.keyboard.type("4");
      release();
      await src.locator(".cm-editor.cm-focused").waitFor({ timeout: T.short });
      await expectText(src.locator(".cm-content"), "x = 124");
      // From here on the editor has the keys itself.
      await page.keyboard.type("5");
      await expectText(src.locator(".cm-content"), "x = 1245");
      // Double-clicking the markdown cell edits it.
      await cell(page, 1).locator(".nb-md").dblclick();
      await cell(page, 1).locator(".cm-editor.cm-focused").waitFor({ timeout: T.short });
      await expectText(cell(page, 1).locator(".cm-content"), "# Notes");
      // Markdown's mode arrives on its own, after the editor: the heading gets coloured.
      await cell(page, 1).locator(".cm-content .tok-head").first().waitFor({ timeout: T.short });
      await page.unroute(/\/static\/app\/assets\/[^/]+\.js$/);
      assert.deepEqual(log.pageErrors, []);
    });
  });
});
