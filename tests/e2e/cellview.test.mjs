// How cells are shown (issue #16, "Finding your way"), against the real
// binary and a real ipykernel: collapsed inputs and outputs kept in
// Jupyter's metadata keys (and JupyterLab's and Notebook 6's honoured),
// scrolled outputs, execution timing recorded and shown again after a
// reload, Out[n]: on execute results, line numbers, the heading keys and
// moving cells by dragging their prompt. Photographed in the light and
// dark themes at 1280 and 390 px (artifacts/cellview-*.png).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  T, cell, cells, code, dumpOnFail, expectText, launchBrowser, login, loggedIn, markdown, notebook, openNotebook, outputs,
  poll, readNotebook, result, runCell, screenshot, startServer, stream, tid, watch, writeNotebook,
} from "./harness.mjs";

let browser, server;

const longText = Array.from({ length: 120 }, (_, i) => `line ${i + 1}`).join("\n") + "\n";
// A run 3.2 s long that ended at 14:03:00 local time today (the fixture's
// metadata.execution, as JupyterLab writes it).
function execution() {
  const end = new Date();
  end.setHours(14, 3, 0, 0);
  const at = (ms) => new Date(end.getTime() + ms).toISOString();
  return {
    "iopub.status.busy": at(-3300),
    "iopub.execute_input": at(-3250),
    "shell.execute_reply.started": at(-3200),
    "shell.execute_reply": at(0),
    "iopub.status.idle": at(10),
  };
}

before(async () => {
  browser = await launchBrowser();
  server = await startServer({
    name: "cellview",
    setup(root) {
      writeNotebook(root, "collapse.ipynb", notebook([
        code("import math\nprint(math.pi)", [stream("3.141592653589793\n")], 1),
        code("x = 2", [], 2),
      ]));
      const lab = code("secret = 42\nprint(secret)", [stream("42\n")], 1);
      lab.metadata = { jupyter: { source_hidden: true } };
      const labOut = code("print('lab')", [stream("lab\n"), stream("err\n", "stderr")], 2);
      labOut.metadata = { collapsed: true, jupyter: { outputs_hidden: true } };
      const nb6 = code("print('nb6')", [stream("nb6\n")], 3);
      nb6.metadata = { collapsed: true };
      const scrolled = code("for i in range(120): print(f'line {i+1}')", [stream(longText)], 4);
      scrolled.metadata = { scrolled: true };
      const auto = code("for i in range(120): print(f'line {i+1}')", [stream(longText)], 5);
      auto.metadata = { scrolled: "auto" };
      writeNotebook(root, "jupyter.ipynb", notebook([lab, labOut, nb6, scrolled, auto]));
      writeNotebook(root, "keys.ipynb", notebook([
        code("print('a')", [stream("a\n")], 1),
        code("Results", [], null),
        code("def f(x):\n    return x + 1\n\nf(1)", [], null),
      ]));
      writeNotebook(root, "run.ipynb", notebook([code("")]));
      writeNotebook(root, "drag.ipynb", notebook([code("a = 1"), code("b = 2"), code("c = 3"), code("d = 4")]));
      // The photographed notebook: a collapsed input, collapsed outputs,
      // Out[n]:, a timing line, several lines (for line numbers).
      const shownIn = code("import pandas as pd\ndf = pd.read_csv('data.csv')\ndf.describe()", [stream("loaded 3 rows\n")], 1);
      shownIn.metadata = { jupyter: { source_hidden: true } };
      const shownOut = code("for i in range(3):\n    print(i)", [stream("0\n1\n2\n")], 2);
      shownOut.metadata = { collapsed: true, jupyter: { outputs_hidden: true } };
      const timed = code("import time\ntime.sleep(3.2)\n6 * 7", [result({ "text/plain": "42" }, 3)], 3);
      timed.metadata = { execution: execution() };
      writeNotebook(root, "shown.ipynb", notebook([
        markdown("## Finding your way"),
        shownIn,
        shownOut,
        timed,
        code("def area(r):\n    return 3.14159 * r * r\n\narea(2)", [result({ "text/plain": "12.56636" }, 4)], 4),
      ]));
    },
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const save = async (page) => {
  await page.keyboard.press("Control+S");
  await page.locator('[data-testid="save-state"][data-state="saved"]').waitFor({ timeout: T.short });
};
const commandMode = async (page, i) => {
  await cell(page, i).locator('[data-testid="cell-prompt"]').click();
  await poll(async () => (await tid(page, "notebook").getAttribute("data-mode")) === "command", "command mode");
};

describe("collapsing", () => {
  let page, context, log;
  before(async () => {
    ({ page, context, log } = await loggedIn(browser, server));
  });
  after(async () => {
    await context?.close();
  });

  test("collapsed input and outputs are saved as Jupyter's keys and stay collapsed after a reload", async () => {
    await dumpOnFail(page, "cellview-collapse", async () => {
      await openNotebook(page, server, "collapse.ipynb", { kernel: false });
      const c0 = cell(page, 0);
      await c0.locator('[data-testid="collapse-input"]').click();
      await expectText(c0.locator('[data-testid="input-placeholder"]'), "import math …");
      assert.equal(await c0.locator('[data-testid="cell-input"]').isVisible(), false, "the source is hidden");
      await c0.locator('[data-testid="collapse-output"]').click();
      await expectText(c0.locator('[data-testid="output-placeholder"]'), "1 output hidden");
      assert.equal(await outputs(page, 0).first().isVisible(), false, "the output is hidden");
      await tid(page, "save-state").and(page.locator('[data-state="unsaved"]')).waitFor({ timeout: T.short });
      await save(page);
      let md = readNotebook(server.root, "collapse.ipynb").cells[0].metadata;
      assert.deepEqual(md.jupyter, { source_hidden: true, outputs_hidden: true });
      assert.equal(md.collapsed, true, "Notebook 6's key is written too");

      await page.reload();
      await cells(page).first().waitFor();
      await cell(page, 0).locator('[data-testid="input-placeholder"]').waitFor({ timeout: T.short });
      await cell(page, 0).locator('[data-testid="output-placeholder"]').waitFor({ timeout: T.short });
      assert.equal(await cell(page, 1).locator('[data-testid="input-placeholder"]').isVisible(), false, "other cells are not collapsed");

      // A click on the placeholders shows them again; the keys go (not false).
      await cell(page, 0).locator('[data-testid="input-placeholder"]').click();
      await cell(page, 0).locator('[data-testid="output-placeholder"]').click();
      await expectText(outputs(page, 0), "3.14159");
      await cell(page, 0).locator('[data-testid="cell-input"]').waitFor({ state: "visible" });
      await commandMode(page, 1);
      await save(page);
      md = readNotebook(server.root, "collapse.ipynb").cells[0].metadata;
      assert.equal("jupyter" in md, false, JSON.stringify(md));
      assert.equal("collapsed" in md, false, JSON.stringify(md));
      assert.deepEqual(log.pageErrors, []);
    });
  });

  test("a notebook collapsed by JupyterLab or Notebook 6 opens collapsed; scrolled outputs open in a box", async () => {
    await dumpOnFail(page, "cellview-jupyter", async () => {
      await openNotebook(page, server, "jupyter.ipynb", { kernel: false });
      await expectText(cell(page, 0).locator('[data-testid="input-placeholder"]'), "secret = 42 …");
      await expectText(cell(page, 1).locator('[data-testid="output-placeholder"]'), "2 outputs hidden");
      await expectText(cell(page, 2).locator('[data-testid="output-placeholder"]'), "1 output hidden");
      assert.equal(await outputs(page, 2).first().isVisible(), false, "Notebook 6's collapsed: true hides outputs");
      const box = async (i) => (await cell(page, i).locator(".q-outputs").boundingBox()).height;
      await cell(page, 4).scrollIntoViewIfNeeded();
      assert.ok((await box(3)) <= 401, `scrolled: true is a scrolled box (${await box(3)} px)`);
      assert.ok((await box(4)) > 1000, `scrolled: "auto" leaves the outputs at full height (${await box(4)} px)`);
      // Long outputs have the scroll toggle; it writes scrolled: true.
      const toggle = cell(page, 4).locator('[data-testid="output-scroll"]');
      await toggle.waitFor({ state: "visible", timeout: T.short });
      await toggle.click();
      await poll(async () => (await box(4)) <= 401, "the toggle puts the outputs into a box");
      await commandMode(page, 4);
      await save(page);
      const nb = readNotebook(server.root, "jupyter.ipynb");
      assert.equal(nb.cells[4].metadata.scrolled, true);
      assert.deepEqual(nb.cells[1].metadata, { collapsed: true, jupyter: { outputs_hidden: true } }, "untouched cells keep their keys");
    });
  });

  test("O toggles the selected outputs, Shift-O their scrolling", async () => {
    await dumpOnFail(page, "cellview-keys-o", async () => {
      await openNotebook(page, server, "collapse.ipynb", { kernel: false });
      await commandMode(page, 0);
      await page.keyboard.press("o");
      await cell(page, 0).locator('[data-testid="output-placeholder"]').waitFor({ timeout: T.short });
      await page.keyboard.press("o");
      await cell(page, 0).locator('[data-testid="output-placeholder"]').waitFor({ state: "hidden", timeout: T.short });
      await expectText(outputs(page, 0), "3.14159");
      await page.keyboard.press("Shift+O");
      await poll(async () => (await cell(page, 0).getAttribute("class")).includes("nb-scrolled"), "Shift-O scrolls the outputs");
      await page.keyboard.press("Shift+O");
      await poll(async () => !(await cell(page, 0).getAttribute("class")).includes("nb-scrolled"), "Shift-O again: full height");
    });
  });
});

describe("running", () => {
  let page, context, log;
  before(async () => {
    ({ page, context, log } = await loggedIn(browser, server));
    await openNotebook(page, server, "run.ipynb");
  });
  after(async () => {
    await context?.close();
  });

  test("a run records metadata.execution and shows its timing, again after a reload", async () => {
    await dumpOnFail(page, "cellview-timing", async () => {
      await runCell(page, 0, "import time; time.sleep(1.2)");
      const timing = cell(page, 0).locator('[data-testid="cell-timing"]');
      const text = await expectText(timing, /^\d+(\.\d)? s, \d\d:\d\d$/, T.kernel);
      const secs = Number(text.split(" ")[0]);
      assert.ok(secs >= 1.0 && secs < 30, `the run took about 1.2 s: ${text}`);
      await commandMode(page, 0);
      await save(page);
      const ex = readNotebook(server.root, "run.ipynb").cells[0].metadata.execution;
      assert.deepEqual(Object.keys(ex).sort(), [
        "iopub.execute_input", "iopub.status.busy", "iopub.status.idle", "shell.execute_reply", "shell.execute_reply.started",
      ]);
      for (const v of Object.values(ex)) assert.ok(Number.isFinite(Date.parse(v)), `a date: ${v}`);
      await page.reload();
      await cells(page).first().waitFor();
      await expectText(cell(page, 0).locator('[data-testid="cell-timing"]'), text);
    });
  });

  test("with timing switched off (View menu, kept in localStorage) a run records none and drops the old", async () => {
    await dumpOnFail(page, "cellview-timing-off", async () => {
      assert.ok(readNotebook(server.root, "run.ipynb").cells[0].metadata.execution, "the last test left a timing");
      await page.evaluate(() => localStorage.setItem("quire:record-timing", "0"));
      await page.reload();
      await cells(page).first().waitFor();
      await tid(page, "kernel-status").and(page.locator('[data-state="idle"]')).waitFor({ timeout: T.kernel });
      await runCell(page, 0, "2+3");
      await expectText(outputs(page, 0), "5", T.kernel);
      assert.equal(await cell(page, 0).locator('[data-testid="cell-timing"]').isVisible(), false, "no timing line");
      await commandMode(page, 0);
      await save(page);
      assert.equal("execution" in readNotebook(server.root, "run.ipynb").cells[0].metadata, false);
      await page.evaluate(() => localStorage.removeItem("quire:record-timing"));
      await page.reload();
      await cells(page).first().waitFor();
      await tid(page, "kernel-status").and(page.locator('[data-state="idle"]')).waitFor({ timeout: T.kernel });
    });
  });

  test("1+1 shows Out[n]: beside its result, and a print has no Out prompt", async () => {
    await dumpOnFail(page, "cellview-out", async () => {
      await runCell(page, 0, "1+1");
      await expectText(outputs(page, 0), "2", T.kernel);
      const count = (await cell(page, 0).locator('[data-testid="cell-prompt"]').textContent()).match(/\d+/)[0];
      await expectText(cell(page, 0).locator('[data-testid="output-prompt"]'), `Out[${count}]:`);
      assert.equal((await outputs(page, 0).first().textContent()).trim(), "2", "the prompt is not part of the output's text");
      const p = await cell(page, 0).locator('[data-testid="output-prompt"]').boundingBox();
      const o = await outputs(page, 0).first().boundingBox();
      assert.ok(p.x + p.width <= o.x + 1 && Math.abs(p.y - o.y) < 8, `the prompt is at the left of the output (${JSON.stringify([p, o])})`);
      await runCell(page, 1, "print('no prompt')");
      await expectText(outputs(page, 1), "no prompt", T.kernel);
      assert.equal(await cell(page, 1).locator('[data-testid="output-prompt"]').count(), 0);
    });
  });
});

describe("keys and dragging", () => {
  let page, context, log;
  before(async () => {
    ({ page, context, log } = await loggedIn(browser, server));
  });
  after(async () => {
    await context?.close();
  });

  test("L shows line numbers in the selected cell, Shift-L in every cell (remembered)", async () => {
    await dumpOnFail(page, "cellview-lines", async () => {
      await openNotebook(page, server, "keys.ipynb", { kernel: false });
      await commandMode(page, 2);
      await page.keyboard.press("l");
      const numbers = (i) => cell(page, i).locator(".cm-lineNumbers .cm-gutterElement, .nb-gutter");
      await poll(async () => /1\s*2\s*3\s*4/.test((await numbers(2).allTextContents()).join(" ")), "cell 3 numbers its 4 lines");
      assert.equal(await numbers(0).count(), 0, "the other cells have none");
      await page.keyboard.press("l");
      await poll(async () => (await numbers(2).count()) === 0, "L again hides them");
      await page.keyboard.press("Shift+L");
      for (const i of [0, 1, 2]) await poll(async () => (await numbers(i).count()) > 0, `cell ${i} has line numbers`);
      await page.reload();
      await cells(page).first().waitFor();
      for (const i of [0, 1, 2]) await poll(async () => (await numbers(i).count()) > 0, `cell ${i} still has line numbers after a reload`);
      await commandMode(page, 0);
      await page.keyboard.press("Shift+L");
      for (const i of [0, 1, 2]) await poll(async () => (await numbers(i).count()) === 0, `cell ${i} has none after Shift-L`);
    });
  });

  test("2 makes the selected cell a markdown heading ## …", async () => {
    await dumpOnFail(page, "cellview-heading", async () => {
      await openNotebook(page, server, "keys.ipynb", { kernel: false });
      await commandMode(page, 1);
      await page.keyboard.press("2");
      await poll(async () => (await cell(page, 1).getAttribute("data-cell-type")) === "markdown", "cell 2 is markdown");
      await expectText(cell(page, 1).locator("h2"), "Results");
      await page.keyboard.press("3");
      await expectText(cell(page, 1).locator("h3"), "Results");
      await save(page);
      const c = readNotebook(server.root, "keys.ipynb").cells[1];
      assert.equal(c.cell_type, "markdown");
      assert.equal([].concat(c.source).join(""), "### Results");
    });
  });

  test("dragging cell 3 by its prompt above cell 1 moves it; a selection moves together", async () => {
    await dumpOnFail(page, "cellview-drag", async () => {
      await openNotebook(page, server, "drag.ipynb", { kernel: false });
      const order = async () => (await cells(page).locator('[data-testid="cell-input"]').allTextContents()).map((t) => t.trim());
      assert.deepEqual(await order(), ["a = 1", "b = 2", "c = 3", "d = 4"]);
      await drag(page, 2, 0, "before");
      assert.deepEqual(await order(), ["c = 3", "a = 1", "b = 2", "d = 4"]);
      assert.ok((await cell(page, 0).getAttribute("class")).includes("selected"), "the moved cell stays selected");
      // Select cells 2–3 (a, b) and drag them below d.
      await commandMode(page, 1);
      await page.keyboard.press("Shift+J");
      await drag(page, 1, 3, "after");
      assert.deepEqual(await order(), ["c = 3", "d = 4", "a = 1", "b = 2"]);
      await tid(page, "save-state").and(page.locator('[data-state="unsaved"]')).waitFor({ timeout: T.short });
      await save(page);
      const src = readNotebook(server.root, "drag.ipynb").cells.map((c) => [].concat(c.source).join(""));
      assert.deepEqual(src, ["c = 3", "d = 4", "a = 1", "b = 2"]);
      // Escape cancels a drag.
      await drag(page, 3, 0, "before", { cancel: true });
      assert.deepEqual(await order(), ["c = 3", "d = 4", "a = 1", "b = 2"]);
    });
  });
});

/** drag presses cell from's prompt and drops it before (or after) cell to. */
async function drag(page, from, to, where, { cancel = false, shoot } = {}) {
  const p = await cell(page, from).locator('[data-testid="cell-prompt"]').boundingBox();
  const t = await cell(page, to).boundingBox();
  await page.mouse.move(p.x + p.width / 2, p.y + p.height / 2);
  await page.mouse.down();
  const y = where === "before" ? t.y + 4 : t.y + t.height - 4;
  await page.mouse.move(p.x + p.width / 2, (p.y + y) / 2, { steps: 4 });
  await page.mouse.move(p.x + p.width / 2, y, { steps: 4 });
  await tid(page, "drop-indicator").waitFor({ timeout: T.short });
  if (shoot) await shoot();
  if (cancel) await page.keyboard.press("Escape");
  await page.mouse.up();
  await tid(page, "drop-indicator").waitFor({ state: "detached", timeout: T.short });
}

test("screenshots: collapsed cells, Out prompts, timing, line numbers and a drag, light and dark, 1280 and 390 px", async () => {
  for (const scheme of ["light", "dark"]) {
    for (const width of [1280, 390]) {
      const context = await browser.newContext({ viewport: { width, height: 800 }, colorScheme: scheme });
      const page = await context.newPage();
      const log = watch(page);
      try {
        await login(page, server);
        await dumpOnFail(page, `cellview-shots-${scheme}-${width}`, async () => {
          await openNotebook(page, server, "shown.ipynb", { kernel: false });
          await expectText(cell(page, 3).locator('[data-testid="cell-timing"]'), /^3\.2 s, 14:03$/);
          await expectText(cell(page, 3).locator('[data-testid="output-prompt"]'), "Out[3]:");
          await cell(page, 1).locator('[data-testid="input-placeholder"]').waitFor();
          await cell(page, 2).locator('[data-testid="output-placeholder"]').waitFor();
          await commandMode(page, 4);
          await page.keyboard.press("Shift+L");
          await cell(page, 4).locator(".cm-lineNumbers, .nb-gutter").first().waitFor();
          await cell(page, 3).hover();
          await screenshot(page, `cellview-${scheme}-${width}.png`);
          await drag(page, 4, 1, "before", {
            cancel: true,
            shoot: () => screenshot(page, `cellview-drag-${scheme}-${width}.png`),
          });
          await page.keyboard.press("Shift+L"); // the setting is per browser profile; leave it off
        });
        assert.deepEqual(log.pageErrors, []);
        assert.deepEqual(log.csp, []);
      } finally {
        await context.close();
      }
    }
  }
});
