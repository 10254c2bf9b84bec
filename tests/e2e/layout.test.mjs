// Dark theme, a 360 px phone-width viewport and keyboard use: the file
// browser and a notebook follow the OS colour scheme, never scroll
// sideways, and the list works without a mouse.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  T, code, display, error, launchBrowser, login, markdown, notebook, openNotebook, poll, row, screenshot,
  startServer, stream, tid, treeUrl, watch, writeNotebook, PNG_16PX,
} from "./harness.mjs";

let browser, server;

before(async () => {
  browser = await launchBrowser();
  server = await startServer({
    name: "layout",
    setup(root) {
      mkdirSync(join(root, "a folder with a long name that must wrap or be cut"), { recursive: true });
      writeFileSync(join(root, "data.txt"), "x\n");
      writeNotebook(root, "outputs.ipynb", notebook([
        markdown("# Dark\nSome *text* and $x^2$."),
        code("print('hi')", [stream("hi\n\u001b[31mred\u001b[0m " + "long ".repeat(80) + "\n")], 1),
        code("show()", [display({ "image/png": PNG_16PX, "text/plain": "<Figure>" })], 2),
        code("1/0", [error("ZeroDivisionError", "division by zero")], 3),
      ]));
    },
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** overflow: how far the page scrolls sideways (0 = not at all). */
const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

/** luminance of the body's computed background, 0 (black) to 1 (white). */
const bodyLuminance = (page) =>
  page.evaluate(() => {
    const m = getComputedStyle(document.body).backgroundColor.match(/\d+(\.\d+)?/g) || ["255", "255", "255"];
    const [r, g, b] = m.slice(0, 3).map(Number);
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
  });

async function darkNarrowPage() {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, colorScheme: "dark" });
  const page = await context.newPage();
  const log = watch(page);
  await login(page, server);
  await tid(page, "file-list").waitFor({ timeout: T.short });
  return { context, page, log };
}

test("dark theme at 360 px: file browser", async () => {
  const { context, page, log } = await darkNarrowPage();
  try {
    await row(page, "data.txt").waitFor();
    assert.ok((await bodyLuminance(page)) < 0.3, "the body is dark under prefers-color-scheme: dark");
    assert.ok((await overflow(page)) <= 0, `no sideways scroll (overflow ${await overflow(page)} px)`);
    for (const id of ["new-notebook", "upload", "action-delete", "logout"]) {
      const box = await tid(page, id).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 360, `${id} is within the viewport: ${JSON.stringify(box)}`);
    }
    await screenshot(page, "file-browser-dark-360.png");
    assert.deepEqual(log.csp, [], "no CSP violations");
    assert.deepEqual(log.pageErrors, [], "no page errors");
  } finally {
    await context.close();
  }
});

test("dark theme at 360 px: notebook with outputs", async () => {
  const { context, page, log } = await darkNarrowPage();
  try {
    await openNotebook(page, server, "outputs.ipynb", { kernel: false });
    await page.locator('[data-testid="output"][data-mime="image/png"]').waitFor({ timeout: T.short });
    assert.ok((await bodyLuminance(page)) < 0.3, "the notebook is dark");
    await poll(async () => (await overflow(page)) <= 0, "no sideways scroll in the notebook");
    for (const id of ["save", "run-cell", "kernel-status"]) {
      const box = await tid(page, id).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 360, `${id} is within the viewport: ${JSON.stringify(box)}`);
    }
    await screenshot(page, "notebook-dark-360.png");
    assert.deepEqual(log.csp, [], "no CSP violations");
    assert.deepEqual(log.pageErrors, [], "no page errors");
  } finally {
    await context.close();
  }
});

test("the file list works from the keyboard alone", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  try {
    await login(page, server);
    await page.goto(treeUrl(server));
    await row(page, "data.txt").waitFor({ timeout: T.short });
    // Tab from the top of the page until focus lands on a row of the list.
    let inList = false;
    const focused = [];
    for (let i = 0; i < 40 && !inList; i++) {
      await page.keyboard.press("Tab");
      inList = await page.evaluate(() => !!document.activeElement?.closest('[data-testid="file-row"]'));
      focused.push(await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 80)));
    }
    assert.ok(inList, "Tab reaches a row of the file list: " + focused.join("\n"));
    // Move to the folder row with the arrow keys and open it with Enter.
    const folder = "a folder with a long name that must wrap or be cut";
    for (let i = 0; i < 10; i++) {
      const here = await page.evaluate(() => document.activeElement?.closest('[data-testid="file-row"]')?.getAttribute("data-name"));
      if (here === folder) break;
      await page.keyboard.press("ArrowDown");
    }
    assert.equal(
      await page.evaluate(() => document.activeElement?.closest('[data-testid="file-row"]')?.getAttribute("data-name")),
      folder, "the arrow keys reach the folder's row");
    await page.keyboard.press("Enter");
    await poll(async () => decodeURIComponent(new URL(page.url()).pathname).endsWith("/tree/" + folder), "Enter opened the folder");
  } finally {
    await context.close();
  }
});

test("leaving a notebook with unsaved edits asks first", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const log = watch(page);
  try {
    await login(page, server);
    await openNotebook(page, server, "outputs.ipynb", { kernel: false });
    await page.locator('[data-testid="cell"][data-cell-type="code"] [data-testid="cell-input"]').first().click();
    await page.keyboard.type("# edited");
    await tid(page, "save-state").and(page.locator('[data-state="unsaved"]')).waitFor({ timeout: T.short });
    await page.goto(treeUrl(server));
    assert.ok(log.dialogs.some((d) => d.type === "beforeunload"), `a beforeunload prompt appeared: ${JSON.stringify(log.dialogs)}`);
  } finally {
    await context.close();
  }
});
