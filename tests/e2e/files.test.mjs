// The file browser: new notebook, rename, copy, delete (to the trash), new
// folder, breadcrumbs, a 50 MB upload.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync, openSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import {
  T, code, expectText, launchBrowser, loggedIn, markdown, notebook, poll, row, screenshot, scriptDialogs, sha256File,
  startServer, tid, treeUrl, writeNotebook, openDialog,
} from "./harness.mjs";

let browser, server, page, context, log;

before(async () => {
  browser = await launchBrowser();
  server = await startServer({
    name: "files",
    setup(root) {
      writeNotebook(root, "analysis.ipynb", notebook([markdown("# Analysis"), code("x = 1\nx")]));
      writeNotebook(root, "report.ipynb", notebook([code("print('report')")]));
      writeFileSync(join(root, "data.txt"), "some data\n");
      writeFileSync(join(root, "notes.md"), "# Notes\n");
      writeFileSync(join(root, "script.py"), "print('hi')\n");
      mkdirSync(join(root, "sub", "deeper"), { recursive: true });
      writeNotebook(root, "sub/inner.ipynb", notebook([code("2+2")]));
      writeFileSync(join(root, "sub", "deeper", "leaf.txt"), "leaf\n");
    },
  });
  ({ page, context, log } = await loggedIn(browser, server));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** selectOnly ticks the row-select box of exactly the named row. */
async function selectOnly(name) {
  const boxes = page.locator('[data-testid="file-row"] [data-testid="row-select"]');
  const n = await boxes.count();
  for (let i = 0; i < n; i++) if (await boxes.nth(i).isChecked()) await boxes.nth(i).uncheck();
  await row(page, name).locator('[data-testid="row-select"]').check();
}

/** rootEntries lists a directory on disk as a user sees it: without the hidden
 * temporary files a save or copy writes before renaming them into place. */
const rootEntries = (dir = "") => readdirSync(join(server.root, dir)).filter((n) => !n.startsWith("."));

/** refreshUntil clicks refresh until the predicate on the page holds (the list may lag a disk change). */
async function listed(name, want = true) {
  await poll(async () => ((await row(page, name).count()) > 0) === want, `${name} ${want ? "listed" : "gone from the list"}`);
}

test("the listing shows the folder's entries with their types", async () => {
  await page.goto(treeUrl(server));
  await tid(page, "file-list").waitFor();
  await listed("analysis.ipynb");
  const types = {};
  for (const r of await page.locator('[data-testid="file-row"]').all()) {
    types[await r.getAttribute("data-name")] = await r.getAttribute("data-type");
  }
  assert.deepEqual(
    { a: types["analysis.ipynb"], d: types["data.txt"], s: types["sub"], p: types["script.py"] },
    { a: "notebook", d: "file", s: "directory", p: "file" },
  );
  await screenshot(page, "file-browser.png");
});

test("new notebook opens in the notebook view and is created on disk", async () => {
  await page.goto(treeUrl(server));
  await tid(page, "file-list").waitFor();
  const before = new Set(rootEntries());
  const target = await Promise.any([
    page.waitForURL(/\/notebooks\/.+\.ipynb/, { timeout: T.short }).then(() => page),
    context.waitForEvent("page", { timeout: T.short }),
    tid(page, "new-notebook").click().then(() => new Promise(() => {})),
  ]);
  await target.waitForURL(/\/notebooks\/.+\.ipynb/, { timeout: T.short });
  await tid(target, "notebook").waitFor({ timeout: T.short });
  await target.locator('[data-testid="cell"]').first().waitFor({ timeout: T.short });
  const created = rootEntries().filter((n) => !before.has(n));
  assert.equal(created.length, 1, "one new file: " + created);
  assert.match(created[0], /^Untitled.*\.ipynb$/);
  assert.ok(decodeURIComponent(new URL(target.url()).pathname).endsWith("/" + created[0]));
  if (target === page) await page.goBack();
  else await target.close();
  await page.goto(treeUrl(server));
  await listed(created[0]);
  assert.equal(await row(page, created[0]).getAttribute("data-type"), "notebook");
});

test("rename, copy and delete act on the selected file and on disk", async () => {
  await page.goto(treeUrl(server));
  await listed("data.txt");

  // Rename through the dialog's text field.
  await selectOnly("data.txt");
  await tid(page, "action-rename").click();
  const dlg = openDialog(page).last();
  await dlg.waitFor();
  await dlg.getByRole("textbox").fill("renamed.txt");
  await dlg.getByRole("button", { name: /^\s*(ok|rename)\s*$/i }).click();
  await listed("renamed.txt");
  await listed("data.txt", false);
  assert.ok(existsSync(join(server.root, "renamed.txt")), "renamed on disk");
  assert.ok(!existsSync(join(server.root, "data.txt")), "old name gone on disk");

  // Copy: Jupyter's naming, renamed-Copy1.txt (a dialog, if any, is confirmed).
  const before = new Set(rootEntries());
  await selectOnly("renamed.txt");
  await tid(page, "action-copy").click();
  const copy = await poll(async () => {
    const added = rootEntries().filter((n) => !before.has(n));
    if (added.length) return added[0];
    if (await openDialog(page).count()) {
      await openDialog(page).last().getByRole("button").filter({ hasNotText: /cancel/i }).last().click();
    }
    return false;
  }, "a copy appears on disk");
  assert.match(copy, /^renamed.*Copy.*\.txt$/);
  await listed(copy);

  // Delete, confirmed with "Delete": gone from the list and the root, kept in the trash.
  await selectOnly(copy);
  await tid(page, "action-delete").click();
  const del = openDialog(page).last();
  await del.waitFor();
  await del.getByRole("button", { name: /^\s*delete\s*$/i }).click();
  await listed(copy, false);
  assert.ok(!existsSync(join(server.root, copy)), "deleted from the root dir");
  const trashes = [join(server.home, ".local/share/Trash/files"), join(server.root, `.Trash-${process.getuid()}`, "files")];
  const inTrash = trashes.some((d) => existsSync(d) && readdirSync(d).some((n) => n.startsWith(copy.replace(/\.txt$/, ""))));
  assert.ok(inTrash, "the deleted file is in the trash (" + trashes.join(", ") + ")");
  assert.ok(existsSync(join(server.root, "renamed.txt")), "the original is untouched");
});

test("new folder is created and listed", async () => {
  await page.goto(treeUrl(server));
  await tid(page, "file-list").waitFor();
  const before = new Set(rootEntries());
  await tid(page, "new-folder").click();
  const made = await poll(async () => {
    const added = rootEntries().filter((n) => !before.has(n));
    if (added.length) return added[0];
    if (await openDialog(page).count()) {
      const d = openDialog(page).last();
      if (await d.getByRole("textbox").count()) await d.getByRole("textbox").fill("made-by-test");
      await d.getByRole("button").filter({ hasNotText: /cancel/i }).last().click();
    }
    return false;
  }, "a new folder on disk");
  assert.ok(statSync(join(server.root, made)).isDirectory(), made + " is a directory");
  await listed(made);
  assert.equal(await row(page, made).getAttribute("data-type"), "directory");
});

test("breadcrumbs navigate into and out of subfolders", async () => {
  await page.goto(treeUrl(server));
  await listed("sub");
  await row(page, "sub").locator('[data-testid="file-link"]').click();
  await page.waitForURL(/\/tree\/sub\/?$/);
  await listed("inner.ipynb");
  await listed("analysis.ipynb", false);
  await expectText(tid(page, "breadcrumbs"), "sub");

  await row(page, "deeper").locator('[data-testid="file-link"]').click();
  await page.waitForURL(/\/tree\/sub\/deeper\/?$/);
  await listed("leaf.txt");
  // Up one level through the "sub" crumb…
  await tid(page, "breadcrumbs").getByRole("link", { name: /^\s*sub\s*$/ }).click();
  await page.waitForURL(/\/tree\/sub\/?$/);
  await listed("inner.ipynb");
  // …and to the root through the first crumb.
  await tid(page, "breadcrumbs").getByRole("link").first().click();
  await page.waitForURL((u) => /\/tree\/?$/.test(u.pathname));
  await listed("analysis.ipynb");
  // Back button works too (history entries per folder).
  await page.goBack();
  await page.waitForURL(/\/tree\/sub\/?$/);
  await listed("inner.ipynb");
});

test("a 50 MB upload arrives intact, with a progress bar", async () => {
  const src = join(server.dir, "big.bin");
  const fd = openSync(src, "w");
  for (let i = 0; i < 50; i++) writeSync(fd, randomBytes(1 << 20));
  closeSync(fd);
  const want = await sha256File(src);

  await page.goto(treeUrl(server));
  await tid(page, "file-list").waitFor();
  // Record whether a progress element ever shows, however briefly.
  await page.evaluate(() => {
    const w = window;
    w.__sawProgress = false;
    const mo = new MutationObserver(() => {
      if (document.querySelector('[data-testid="upload-progress"]')) {
        w.__sawProgress = true;
        mo.disconnect();
      }
    });
    mo.observe(document.body, { childList: true, subtree: true });
  });
  await tid(page, "upload-input").setInputFiles(src);
  const dest = join(server.root, "big.bin");
  await poll(() => existsSync(dest) && statSync(dest).size === 50 << 20, "big.bin on disk with 50 MiB", T.long, 200);
  await listed("big.bin");
  await poll(async () => (await tid(page, "upload-progress").count()) === 0, "the progress bars go away", T.long);
  assert.equal(await sha256File(dest), want, "same sha256 on disk");
  assert.equal(await page.evaluate(() => window.__sawProgress), true, "an upload-progress element appeared");
  assert.deepEqual(scriptDialogs(log), []);
  assert.deepEqual(log.pageErrors, []);
});
