// Finding your way around a notebook (issue #16): the menu bar, the command
// palette, the toolbar's icons and the kernel picker of "New notebook",
// against the real binary and real ipykernels. A second kernelspec
// (python3-second, with its own logo) is installed in the server's private
// Jupyter data dir, so the picker has a choice to offer.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  T, answerDialog, cell, cells, code, dumpOnFail, expectText, launchBrowser, loggedIn, login, makePng, notebook,
  notebookUrl, openNotebook, outputs, poll, readNotebook, runCell, screenshot, setSource, startServer, tid, treeUrl, waitKernel, watch, writeNotebook,
} from "./harness.mjs";

let browser, server;
const SECOND = "python3-second";
const SECOND_NAME = "Python 3 (second spec)";

before(async () => {
  browser = await launchBrowser();
  server = await startServer({
    name: "menus",
    setup(root) {
      writeNotebook(root, "restart.ipynb", notebook([code("x = 41")]));
      writeNotebook(root, "runall.ipynb", notebook([code("a = 20"), code("print(a + 22)")]));
      writeNotebook(root, "menus.ipynb", notebook([code("1 + 1"), code("2 + 2")]));
      writeNotebook(root, "close.ipynb", notebook([code("pass")]));
      writeNotebook(root, "looks.ipynb", notebook([code("print('hello')"), code("import sys")]));
    },
  });
  // The server rescans kernelspecs on every request, so one written now counts.
  const dir = join(server.home, ".local", "share", "jupyter", "kernels", SECOND);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "kernel.json"), JSON.stringify({
    argv: ["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
    display_name: SECOND_NAME,
    language: "python",
  }));
  // An orange square with a dark border: easy to tell from python3's logo.
  writeFileSync(join(dir, "logo-64x64.png"), Buffer.from(makePng(64, 64, (x, y) => (x < 4 || y < 4 || x > 59 || y > 59 ? [60, 30, 0] : [240, 140, 20])), "base64"));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const apiGet = async (page, p) => (await page.request.get(server.url + p)).json();

/** commandMode leaves any editor, so keys go to the notebook. */
async function commandMode(page) {
  await page.keyboard.press("Escape");
  await poll(async () => (await tid(page, "notebook").getAttribute("data-mode")) === "command", "command mode");
}

/** recordStates starts collecting the kernel status's data-state changes into window.__states. */
const recordStates = (page) =>
  page.evaluate(() => {
    const el = document.querySelector('[data-testid="kernel-status"]');
    window.__states = [];
    new MutationObserver(() => window.__states.push(el.getAttribute("data-state"))).observe(el, { attributes: true, attributeFilter: ["data-state"] });
  });

test("the palette (Ctrl-Shift-P) finds and runs Restart kernel; Ctrl-Shift-C opens it too", async () => {
  const { page, context, log } = await loggedIn(browser, server);
  try {
    await dumpOnFail(page, "menus-palette", async () => {
      await openNotebook(page, server, "restart.ipynb");
      await runCell(page, 0, "x = 41");
      await runCell(page, 1, "print(x + 1)");
      await expectText(outputs(page, 1), "42");
      await commandMode(page);
      const active = await page.evaluate(() => document.activeElement?.getAttribute("data-testid"));

      // Ctrl-Shift-C opens it, Escape closes it and the focus is back.
      await page.keyboard.press("Control+Shift+C");
      await tid(page, "palette").waitFor({ timeout: T.short });
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), "palette-input");
      await page.keyboard.press("Escape");
      await tid(page, "palette").waitFor({ state: "detached", timeout: T.short });
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), active, "the focus went back where it was");

      await page.keyboard.press("Control+Shift+P");
      await tid(page, "palette").waitFor({ timeout: T.short });
      await page.keyboard.type("restart kern");
      const first = tid(page, "palette-item").first();
      assert.equal(await first.getAttribute("data-command"), "kernel:restart");
      assert.equal(await first.getAttribute("aria-selected"), "true");
      assert.equal((await first.locator("kbd").textContent()).trim(), "0 0", "the shortcut is shown");
      await screenshot(page, "menus-palette-light-1280.png");
      await recordStates(page);
      await page.keyboard.press("Enter");
      await answerDialog(page, "Restart");
      await waitKernel(page, "idle");
      await poll(async () => {
        const s = await page.evaluate(() => window.__states);
        return (s.includes("restarting") || s.includes("starting") || s.includes("busy")) && s.at(-1) === "idle" && s;
      }, "the status went through restarting/busy back to idle");
      await runCell(page, 1, "print('x' in globals())");
      await expectText(outputs(page, 1), "False");
    });
    assert.deepEqual(log.pageErrors, []);
  } finally {
    await context.close();
  }
});

test("the palette works from edit mode and lists disabled commands it will not run", async () => {
  const { page, context, log } = await loggedIn(browser, server);
  try {
    await dumpOnFail(page, "menus-palette-edit", async () => {
      await openNotebook(page, server, "menus.ipynb");
      await cell(page, 0).locator('[data-testid="cell-input"]').click();
      await poll(async () => (await tid(page, "notebook").getAttribute("data-mode")) === "edit", "edit mode");
      await page.keyboard.press("Control+Shift+P");
      await tid(page, "palette").waitFor({ timeout: T.short });
      await page.keyboard.type("undo cell deletion");
      const item = tid(page, "palette-item").first();
      assert.equal(await item.getAttribute("data-command"), "edit:undo-delete");
      assert.equal(await item.getAttribute("aria-disabled"), "true", "nothing was deleted yet");
      await page.keyboard.press("Enter");
      assert.equal(await tid(page, "palette").count(), 1, "a disabled command does not run or close the palette");
      await page.keyboard.press("Control+A");
      await page.keyboard.type("insert cell below");
      await page.keyboard.press("Enter");
      await tid(page, "palette").waitFor({ state: "detached", timeout: T.short });
      await poll(async () => (await cells(page).count()) === 3, "a cell was inserted");
    });
    assert.deepEqual(log.pageErrors, []);
  } finally {
    await context.close();
  }
});

test("the menu bar: Run → Run all cells runs them", async () => {
  const { page, context, log } = await loggedIn(browser, server);
  try {
    await dumpOnFail(page, "menus-runall", async () => {
      await openNotebook(page, server, "runall.ipynb");
      await tid(page, "menu-run").click();
      const list = page.locator('[data-testid="menu-list"][data-menu="Run"]');
      await list.waitFor({ timeout: T.short });
      await list.locator('[data-command="run:all"]').click();
      await expectText(outputs(page, 1), "42", T.kernel);
      await expectText(cell(page, 0).locator('[data-testid="cell-prompt"]'), /\[\d+\]/);
      assert.equal(await list.isVisible(), false, "the menu closed");
    });
    assert.deepEqual(log.pageErrors, []);
  } finally {
    await context.close();
  }
});

test("each menu lists its commands with their shortcuts; the keyboard moves through them", async () => {
  const { page, context, log } = await loggedIn(browser, server);
  try {
    await dumpOnFail(page, "menus-keys", async () => {
      await openNotebook(page, server, "menus.ipynb");
      const want = {
        File: [["file:save", "Ctrl-S"], ["file:rename", ""], ["file:save-copy", ""], ["file:revert", ""], ["file:trust", ""], ["file:new-terminal", ""], ["file:close", ""]],
        Edit: [["edit:cut", "X"], ["edit:delete", "D D"], ["edit:paste-above", "Shift-V"], ["edit:split", "Ctrl-Shift-Minus"], ["edit:merge", "Shift-M"], ["edit:to-markdown", "M"], ["edit:undo-delete", "Z"]],
        View: [["view:palette", "Ctrl-Shift-P"], ["view:toolbar", ""]],
        Run: [["run:advance", "Shift-Enter"], ["run:in-place", "Ctrl-Enter"], ["run:insert", "Alt-Enter"], ["run:all", ""], ["run:above", ""], ["run:below", ""]],
        Kernel: [["kernel:interrupt", "I I"], ["kernel:restart", "0 0"], ["kernel:restart-run-all", ""], ["kernel:change", ""]],
        Help: [["help:shortcuts", "H"]],
      };
      for (const [menu, items] of Object.entries(want)) {
        await tid(page, "menu-" + menu.toLowerCase()).click();
        const list = page.locator(`[data-testid="menu-list"][data-menu="${menu}"]`);
        await list.waitFor({ timeout: T.short });
        for (const [id, keys] of items) {
          const item = list.locator(`[data-command="${id}"]`);
          assert.equal(await item.count(), 1, `${menu} lists ${id}`);
          assert.equal(((await item.locator("kbd").textContent()) ?? "").trim(), keys, `${id}'s shortcut`);
        }
        if (menu === "Edit") assert.equal(await list.locator('[data-command="edit:undo-delete"]').getAttribute("aria-disabled"), "true", "nothing to undo: greyed out");
        if (menu === "View") assert.equal(await list.locator('[data-command="view:toolbar"]').getAttribute("aria-checked"), "true", "the toolbar toggle is checked");
        await page.keyboard.press("Escape");
        await list.waitFor({ state: "hidden", timeout: T.short });
      }

      // Keyboard only: into the bar, along it, into a menu, out again.
      await cell(page, 1).locator('[data-testid="cell-prompt"]').click();
      await commandMode(page);
      const n = await cells(page).count();
      await tid(page, "menu-file").focus();
      await page.keyboard.press("ArrowDown");
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-command")), "file:save", "Down opens File at its first item");
      await page.keyboard.press("ArrowRight");
      assert.equal(await page.evaluate(() => document.activeElement?.closest('[role="menu"]')?.getAttribute("data-menu")), "Edit", "Right: the Edit menu");
      // Keys typed in a menu are the menu's, not command-mode shortcuts.
      await page.keyboard.press("d");
      await page.keyboard.press("d");
      await page.keyboard.press("b");
      assert.equal(await cells(page).count(), n, "D D and B inside the menu did nothing to the cells");
      await page.keyboard.press("Escape");
      assert.equal(await page.locator('[data-testid="menu-list"]:visible').count(), 0, "Escape closed it");
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), "cell", "and the focus is back on the cell");
      await page.keyboard.press("b");
      await poll(async () => (await cells(page).count()) === n + 1, "command-mode keys work again (B inserted a cell)");

      // Enter on an item runs it: Edit → Undo is disabled, Delete cells is not.
      await tid(page, "menu-edit").focus();
      await page.keyboard.press("Enter");
      await page.keyboard.press("d"); // the first item starting with D
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-command")), "edit:delete");
      await page.keyboard.press("Enter");
      await poll(async () => (await cells(page).count()) === n, "Delete cells ran from the menu");
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), "cell", "focus back on a cell");
      await page.keyboard.press("z");
      await poll(async () => (await cells(page).count()) === n + 1, "and Z undoes it");
    });
    assert.deepEqual(log.pageErrors, []);
  } finally {
    await context.close();
  }
});

test("File → Close and shut down stops the kernel and goes back to the file browser", async () => {
  const { page, context, log } = await loggedIn(browser, server);
  try {
    await dumpOnFail(page, "menus-close", async () => {
      await openNotebook(page, server, "close.ipynb");
      const sess = (await apiGet(page, "api/sessions")).find((s) => s.path === "close.ipynb");
      assert.ok(sess, "the notebook has a session");
      const id = sess.kernel.id;
      assert.ok((await apiGet(page, "api/kernels")).some((k) => k.id === id));
      // Unsaved edits: it asks, and "Save" saves them before closing.
      await setSource(page, 0, "closing = True");
      await commandMode(page);
      await tid(page, "menu-file").click();
      await page.locator('[data-command="file:close"]').click();
      await answerDialog(page, "Save");
      await page.waitForURL((u) => u.pathname.endsWith("/tree") || u.pathname.endsWith("/tree/"), { timeout: T.short });
      await tid(page, "file-list").waitFor({ timeout: T.short });
      await poll(async () => !(await apiGet(page, "api/kernels")).some((k) => k.id === id), "the kernel is gone from /api/kernels");
      assert.ok(!(await apiGet(page, "api/sessions")).some((s) => s.path === "close.ipynb"), "and its session too");
      assert.deepEqual(readNotebook(server.root, "close.ipynb").cells[0].source, ["closing = True"], "the edit was saved first");
    });
    assert.deepEqual(log.pageErrors, []);
  } finally {
    await context.close();
  }
});

test("New notebook asks for the kernel: the second spec, No kernel, and remembers the choice", async () => {
  const { page, context, log } = await loggedIn(browser, server);
  try {
    await dumpOnFail(page, "menus-picker", async () => {
      const picker = tid(page, "kernel-picker");
      const option = (name) => picker.locator(`[data-testid="kernel-option"][data-name="${name}"]`);
      await tid(page, "new-notebook").click();
      await picker.waitFor({ timeout: T.short });
      assert.equal(await option("python3").count(), 1);
      assert.equal(await option(SECOND).count(), 1);
      assert.equal(await option("").count(), 1, "No kernel is offered");
      assert.equal(await option("python3").locator("input").isChecked(), true, "the default comes first");
      await poll(() => option(SECOND).locator("img").evaluate((i) => i.complete && i.naturalWidth === 64), "the second spec's logo loads");
      await screenshot(page, "menus-kernel-picker-light-1280.png");
      await option(SECOND).click();
      await picker.getByRole("button", { name: "Create" }).click();

      await page.waitForURL(/\/notebooks\//, { timeout: T.short });
      await waitKernel(page, "idle");
      const path = decodeURIComponent(new URL(page.url()).pathname.split("/notebooks/")[1]);
      const sess = (await apiGet(page, "api/sessions")).find((s) => s.path === path);
      assert.equal(sess?.kernel?.name, SECOND, `the session runs ${SECOND}`);
      await expectText(tid(page, "kernel-name"), SECOND_NAME);
      const logo = tid(page, "kernel-name").locator('[data-testid="kernel-logo"]');
      assert.match(await logo.getAttribute("src"), new RegExp(`kernelspecs/${SECOND}/logo-64x64\\.png$`));
      await poll(() => logo.evaluate((i) => i.complete && i.naturalWidth === 64), "the header's logo loads (behind the login)");
      await runCell(page, 0, "import sys; print(sys.version_info[0])");
      await expectText(outputs(page, 0), "3");
      const saved = JSON.parse(JSON.stringify((await apiGet(page, "api/contents/" + encodeURIComponent(path))).content.metadata));
      assert.equal(saved.kernelspec?.name, SECOND, "the file names its kernel");

      // The choice is remembered; this time: No kernel.
      await page.goto(treeUrl(server));
      await tid(page, "new-notebook").click();
      await picker.waitFor({ timeout: T.short });
      assert.equal(await option(SECOND).locator("input").isChecked(), true, "the last choice is preselected");
      await option("").click();
      await picker.getByRole("button", { name: "Create" }).click();
      await page.waitForURL(/\/notebooks\/.*\?kernel=none$/, { timeout: T.short });
      await cells(page).first().waitFor({ timeout: T.short });
      const nopath = decodeURIComponent(new URL(page.url()).pathname.split("/notebooks/")[1]);
      await tid(page, "kernel-status").and(page.locator('[data-state="none"]')).waitFor({ timeout: T.short });
      await page.waitForTimeout(1500);
      assert.equal(await tid(page, "kernel-status").getAttribute("data-state"), "none", "still no kernel");
      assert.ok(!(await apiGet(page, "api/sessions")).some((s) => s.path === nopath), "no session was made");
      assert.equal(await tid(page, "kernel-name").textContent(), "No kernel");
      await tid(page, "menu-kernel").click();
      assert.equal(await page.locator('[data-command="kernel:restart"]').getAttribute("aria-disabled"), "true", "no kernel to restart");
      await page.keyboard.press("Escape");
      await tid(page, "restart").click();
      await expectText(tid(page, "notice"), "There is no kernel");

      // A reload keeps it kernel-less; Change kernel then starts one.
      await page.reload();
      await tid(page, "kernel-status").and(page.locator('[data-state="none"]')).waitFor({ timeout: T.short });
      await tid(page, "menu-kernel").click();
      await page.locator('[data-command="kernel:change"]').click();
      await picker.waitFor({ timeout: T.short });
      assert.equal(await option("").count(), 0, "Change kernel offers kernels only");
      await option("python3").click();
      await picker.getByRole("button", { name: "Select" }).click();
      await waitKernel(page, "idle");
      assert.ok(!page.url().includes("kernel=none"), "the address no longer says no kernel");
      assert.equal((await apiGet(page, "api/sessions")).find((s) => s.path === nopath)?.kernel?.name, "python3");

      await page.goto(treeUrl(server));
      await tid(page, "new-notebook").click();
      await picker.waitFor({ timeout: T.short });
      assert.equal(await option("").locator("input").isChecked(), true, "No kernel, chosen last, is preselected");
      await picker.getByRole("button", { name: "Cancel" }).click();
      await picker.waitFor({ state: "detached", timeout: T.short });
    });
    assert.deepEqual(log.pageErrors, []);
  } finally {
    await context.close();
  }
});

test("how it looks: menus, palette, picker and toolbar icons, light and dark, 1280 and 390 px", async () => {
  for (const scheme of ["light", "dark"]) {
    for (const width of [1280, 390]) {
      const tag = `${scheme}-${width}`;
      const context = await browser.newContext({ viewport: { width, height: 800 }, colorScheme: scheme });
      const page = await context.newPage();
      const log = watch(page);
      try {
        await dumpOnFail(page, "menus-look-" + tag, async () => {
          await login(page, server);
          await tid(page, "file-list").waitFor({ timeout: T.short });
          await page.goto(notebookUrl(server, "looks.ipynb"));
          await cells(page).first().waitFor({ timeout: T.short });
          const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          // Every toolbar button shows an icon and keeps its name and tooltip.
          for (const id of ["save", "insert-below", "move-up", "run-cell", "run-all", "interrupt", "restart", "restart-run-all", "clear-outputs", "change-kernel", "shortcuts"]) {
            const b = tid(page, id);
            assert.equal(await b.locator("svg").count(), 1, `${id} has an icon`);
            assert.ok((await b.getAttribute("aria-label"))?.length > 3, `${id} has a name`);
            assert.ok(await b.getAttribute("title"), `${id} has a tooltip`);
            const box = await b.boundingBox();
            assert.ok(box && box.x >= 0 && box.x + box.width <= width, `${id} within the page: ${JSON.stringify(box)}`);
          }
          assert.match(await tid(page, "interrupt").getAttribute("title"), /\(I I\)$/, "the tooltip names the shortcut");
          await screenshot(page, `menus-toolbar-${tag}.png`);
          for (const menu of ["edit", "kernel", "help"]) {
            await tid(page, "menu-" + menu).click();
            const list = page.locator('[data-testid="menu-list"]:visible');
            await list.waitFor({ timeout: T.short });
            const box = await list.boundingBox();
            assert.ok(box.x >= 0 && box.x + box.width <= width + 0.5, `${menu} menu within the page at ${width}: ${JSON.stringify(box)}`);
            assert.ok((await overflow()) <= 0, `${menu} open: no sideways scroll`);
            if (menu === "edit") await screenshot(page, `menus-menubar-${tag}.png`);
            if (menu === "help") await screenshot(page, `menus-menubar-help-${tag}.png`);
            await page.keyboard.press("Escape");
          }
          await page.keyboard.press("Control+Shift+P");
          await tid(page, "palette").waitFor({ timeout: T.short });
          await page.keyboard.type("run");
          await screenshot(page, `menus-palette-${tag}.png`);
          const pbox = await tid(page, "palette").boundingBox();
          assert.ok(pbox.x >= 0 && pbox.x + pbox.width <= width, `palette within the page: ${JSON.stringify(pbox)}`);
          await page.keyboard.press("Escape");
          await page.goto(treeUrl(server));
          await tid(page, "new-notebook").click();
          await tid(page, "kernel-picker").waitFor({ timeout: T.short });
          await screenshot(page, `menus-kernel-picker-${tag}.png`);
          await tid(page, "kernel-picker").getByRole("button", { name: "Cancel" }).click();
        });
        assert.deepEqual(log.csp, [], "no CSP violations");
        assert.deepEqual(log.pageErrors, [], "no page errors");
      } finally {
        await context.close();
      }
    }
  }
});
