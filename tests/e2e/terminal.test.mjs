// Terminals (#17): one opened from the file browser runs a real shell in
// the root; vi edits a file; the screen follows the window's size (stty
// size); copy and paste; the running panel lists and shuts terminals down;
// a dropped connection comes back with the output produced meanwhile, once;
// an ended shell and an unknown name say so; the theme follows the page's.
// The file browser and the notebook page never load xterm.js.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  T, code, expectText, launchBrowser, loggedIn, notebook, poll, screenshot, startServer, tid, treeUrl, writeNotebook,
} from "./harness.mjs";

let browser, server;

before(async () => {
  browser = await launchBrowser();
  server = await startServer({
    name: "terminal",
    setup(root) {
      writeFileSync(join(root, "hello-root.txt"), "hi\n");
      mkdirSync(join(root, "sub"));
      writeFileSync(join(root, "sub", "in-sub.txt"), "sub\n");
      writeNotebook(root, "nb.ipynb", notebook([code("1+1")]));
    },
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** screen is the terminal's visible text, a line per row (DOM renderer). */
async function screen(page) {
  const rows = page.locator('[data-testid="terminal"] .xterm-rows > div');
  return (await rows.allTextContents()).map((l) => l.replace(/\u00a0/g, " ").trimEnd()).join("\n");
}

async function waitScreen(page, want, timeout = T.short) {
  const test = (s) => (want instanceof RegExp ? want.test(s) : s.includes(want));
  return poll(async () => test(await screen(page)), `screen shows ${want}`, timeout, 100).catch(async (e) => {
    console.error("# screen:\n" + (await screen(page).catch(() => "?")));
    throw e;
  });
}

async function connected(page) {
  await page.locator('[data-testid="terminal"][data-state="connected"]').waitFor({ timeout: T.short });
}

/** settledSize waits until the screen's size (rows, columns) holds still for 300 ms. */
async function settledSize(page) {
  const size = async () => [Number(await tid(page, "terminal").getAttribute("data-rows")), Number(await tid(page, "terminal").getAttribute("data-cols"))];
  let last = await size();
  return poll(async () => {
    await sleep(300);
    const now = await size();
    const same = now[0] === last[0] && now[1] === last[1];
    last = now;
    return same && now;
  }, "the screen's size settles");
}

/** run types a command line and presses Enter. */
async function run(page, line) {
  await page.locator('[data-testid="terminal"] .xterm').click();
  await page.keyboard.type(line);
  await page.keyboard.press("Enter");
}

/** newTerminal clicks New terminal in the file browser (in folder dir) and waits for a connected page. */
async function newTerminal(page, dir = "") {
  await page.goto(treeUrl(server, dir));
  await tid(page, "file-list").waitFor({ timeout: T.short });
  await tid(page, "new-terminal").click();
  await page.waitForURL(/\/terminals\/[^/]+$/, { timeout: T.short });
  await connected(page);
  await waitScreen(page, /\S/); // the prompt
  await settledSize(page);
  return decodeURIComponent(new URL(page.url()).pathname.split("/").pop());
}


test("a terminal from the file browser runs a shell in the root; its page is titled by its name", async () => {
  const { page, log, context } = await loggedIn(browser, server);
  try {
    const requests = [];
    page.on("request", (r) => requests.push(r.url()));
    const name = await newTerminal(page);
    assert.match(await page.title(), new RegExp(`^Terminal ${name} `));
    assert.equal(await tid(page, "terminal-title").textContent(), `Terminal ${name}`);
    await run(page, "ls");
    await waitScreen(page, "hello-root.txt");
    await run(page, "pwd");
    await waitScreen(page, /\/root\s*$/m);
    // 256 colours and truecolor reach the screen as colours.
    await run(page, String.raw`printf '\e[38;5;196mcol256\e[0m \e[38;2;10;200;30mcoltrue\e[0m\n'`);
    await waitScreen(page, /^col256 coltrue$/m);
    const styled = await page.evaluate(() => {
      const spans = [...document.querySelectorAll('[data-testid="terminal"] .xterm-rows span')];
      const of = (t) => spans.find((s) => s.textContent === t);
      const c = (s) => (s ? getComputedStyle(s).color : null);
      return { c256: c(of("col256")), ctrue: c(of("coltrue")), plain: getComputedStyle(document.querySelector('[data-testid="terminal"] .xterm-rows')).color };
    });
    assert.ok(styled.c256 && styled.c256 !== styled.plain, `256-colour text is coloured: ${JSON.stringify(styled)}`);
    assert.ok(styled.ctrue && styled.ctrue !== styled.plain && styled.ctrue !== styled.c256, `truecolor text is coloured: ${JSON.stringify(styled)}`);
    assert.ok(requests.some((u) => /\/assets\/terminal-[^/]*\.js$/.test(u)), "the terminal page loads the terminal chunk");
    // From a subfolder, the shell starts there.
    await newTerminal(page, "sub");
    await run(page, "pwd; ls");
    await waitScreen(page, /\/root\/sub\s*\n.*in-sub\.txt/);
    assert.deepEqual(log.pageErrors, []);
  } finally {
    await context.close();
  }
});

test("the file browser and the notebook page do not load xterm.js", async () => {
  const { page, context } = await loggedIn(browser, server);
  try {
    const requests = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(treeUrl(server));
    await tid(page, "file-list").waitFor();
    await page.goto(server.url + "notebooks/nb.ipynb");
    await tid(page, "notebook").waitFor({ timeout: T.short });
    await page.waitForLoadState("networkidle").catch(() => {});
    assert.ok(requests.some((u) => /\/assets\/notebook-[^/]*\.js$/.test(u)), "the notebook chunk loaded");
    const xterm = requests.filter((u) => /terminal-[^/]*\.(js|css)$/.test(u));
    assert.deepEqual(xterm, [], "no terminal chunk");
    // The File menu offers a new terminal, opened in a new tab.
    await tid(page, "menu-file").click();
    const [tab] = await Promise.all([
      context.waitForEvent("page", { timeout: T.short }),
      page.locator('[data-command="file:new-terminal"]').click(),
    ]);
    await tab.waitForURL(/\/terminals\/[^/]+$/, { timeout: T.short });
    await connected(tab);
    assert.equal(await tab.evaluate(() => window.opener), null, "the terminal's tab has no opener");
    await run(tab, "echo from-notebook-menu");
    await waitScreen(tab, /^from-notebook-menu$/m);
  } finally {
    await context.close();
  }
});

test("vi edits a file that is then on disk; less pages", async () => {
  const { page, log, context } = await loggedIn(browser, server);
  try {
    await newTerminal(page);
    await run(page, "vi vi-note.txt");
    await waitScreen(page, /^~/m); // vi's empty-buffer lines: the full screen is up
    await page.keyboard.press("i");
    await page.keyboard.type("written in vi");
    await page.keyboard.press("Escape");
    await page.keyboard.type(":wq");
    await page.keyboard.press("Enter");
    const f = join(server.root, "vi-note.txt");
    await poll(() => existsSync(f) && readFileSync(f, "utf8") === "written in vi\n", "vi wrote the file");
    await run(page, "echo vi-done"); // back at the shell
    await waitScreen(page, /^vi-done$/m);
    // less: a pager on the alternate screen, paged with keys.
    await run(page, "seq 1 500 | less");
    await waitScreen(page, /^:$/m);
    await page.keyboard.press("G");
    await waitScreen(page, /^500\n\(END\)/m);
    await page.keyboard.press("q");
    await run(page, "echo less-done");
    await waitScreen(page, /^less-done$/m);
    assert.doesNotMatch(await screen(page), /^\(END\)/m, "less's screen is gone");
    assert.deepEqual(log.pageErrors, []);
  } finally {
    await context.close();
  }
});

test("the shell's size follows the window (stty size)", async () => {
  const { page, log, context } = await loggedIn(browser, server);
  try {
    await newTerminal(page);
    for (const [width, height] of [[900, 500], [1280, 800], [390, 700]]) {
      await page.setViewportSize({ width, height });
      const [rows, cols] = await settledSize(page);
      // The screen fills the box: another column or row would not fit.
      const box = await tid(page, "terminal").boundingBox();
      assert.ok(cols > (width - 10) / 10 && cols <= width / 7, `${cols} columns at ${width}px`);
      assert.ok(rows > (box.height - 6) / 20 && rows <= box.height / 14, `${rows} rows in ${box.height}px`);
      await run(page, "clear; stty size");
      await waitScreen(page, new RegExp(`^${rows} ${cols}$`, "m"));
    }
    assert.deepEqual(log.pageErrors, []);
  } finally {
    await context.close();
  }
});

test("Ctrl-C interrupts the shell; Ctrl-Shift-C copies the selection and Ctrl-Shift-V pastes", async () => {
  const { page, log, context } = await loggedIn(browser, server);
  try {
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.origin });
    await newTerminal(page);
    await run(page, "sleep 30");
    await sleep(300);
    await page.keyboard.press("Control+C");
    await run(page, "echo after-interrupt");
    await waitScreen(page, /^after-interrupt$/m, 5000);

    await run(page, "clear; echo copyme42");
    await waitScreen(page, /^copyme42$/m);
    // Double-click the word on its output row, then copy it.
    const rowsEl = page.locator('[data-testid="terminal"] .xterm-rows > div');
    const lines = await rowsEl.allTextContents();
    const i = lines.findIndex((l) => l.replace(/\u00a0/g, " ").trim() === "copyme42");
    const box = await rowsEl.nth(i).boundingBox();
    const cols = Number(await tid(page, "terminal").getAttribute("data-cols"));
    const cw = (await page.locator('[data-testid="terminal"] .xterm-screen').boundingBox()).width / cols;
    await page.mouse.dblclick(box.x + cw * 3.5, box.y + box.height / 2);
    await page.keyboard.press("Control+Shift+C");
    await poll(async () => (await page.evaluate(() => navigator.clipboard.readText())) === "copyme42", "the selection is on the clipboard");

    await page.evaluate(() => navigator.clipboard.writeText("echo pasted-$((6*7))"));
    await page.locator('[data-testid="terminal"] .xterm').click();
    await page.keyboard.press("Control+Shift+V");
    await page.keyboard.press("Enter");
    await waitScreen(page, /^pasted-42$/m);
    assert.deepEqual(log.pageErrors, []);
  } finally {
    await context.close();
  }
});

test("the running panel lists a terminal, opens it and shuts it down", async () => {
  const { page, log, context } = await loggedIn(browser, server);
  try {
    const name = await newTerminal(page);
    await run(page, "echo marker-for-panel");
    await waitScreen(page, /^marker-for-panel$/m);
    await page.goto(treeUrl(server));
    const row = page.locator(`[data-testid="terminal-row"][data-terminal-name="${name}"]`);
    await row.waitFor({ timeout: T.short });
    await screenshot(page, "terminal-running-panel.png");
    await row.locator('[data-testid="terminal-link"]').click();
    await page.waitForURL(new RegExp(`/terminals/${name}$`));
    await connected(page);
    await waitScreen(page, /^marker-for-panel$/m); // the scrollback, replayed
    await page.goBack();
    await row.waitFor({ timeout: T.short });
    await row.locator('[data-testid="terminal-shutdown"]').click();
    await row.waitFor({ state: "detached", timeout: T.short });
    const r = await page.request.get(server.url + "api/terminals/" + encodeURIComponent(name));
    assert.equal(r.status(), 404, "the terminal is gone");
    assert.deepEqual(log.pageErrors, []);
  } finally {
    await context.close();
  }
});

test("a dropped connection shows the banner, reconnects, and shows what was printed meanwhile once", async () => {
  const { page, context } = await loggedIn(browser, server);
  try {
    // The fault: the page's socket drops, and reconnections fail until the
    // "network" is back (they are pointed at an address that refuses them).
    await page.addInitScript(() => {
      const Real = window.WebSocket;
      window.__ws = [];
      window.__blockWS = false;
      window.WebSocket = function (url, protocols) {
        const ws = new Real(window.__blockWS ? String(url).replace("/terminals/websocket/", "/terminals/websocketz/") : url, protocols);
        window.__ws.push(ws);
        return ws;
      };
      window.WebSocket.prototype = Real.prototype;
      Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
    });
    await newTerminal(page);
    await run(page, "for i in 1 2 3 4 5; do echo tick$i; sleep 0.6; done");
    await waitScreen(page, /^tick1$/m);
    await page.evaluate(() => {
      window.__blockWS = true;
      window.__ws[window.__ws.length - 1].close();
    });
    await tid(page, "connection-lost").waitFor({ timeout: T.short });
    assert.equal(await tid(page, "terminal").getAttribute("data-state"), "disconnected");
    await screenshot(page, "terminal-connection-lost.png");
    await sleep(3500); // the remaining ticks happen while disconnected
    await page.evaluate(() => {
      window.__blockWS = false;
    });
    await tid(page, "connection-lost").waitFor({ state: "detached", timeout: T.long });
    await waitScreen(page, /^tick5$/m);
    const text = await screen(page);
    for (const n of [1, 2, 3, 4, 5]) assert.equal(text.split("\n").filter((l) => l === "tick" + n).length, 1, `tick${n} once in:\n${text}`);
    // Typing works again.
    await run(page, "echo back-again");
    await waitScreen(page, /^back-again$/m);
  } finally {
    await context.close();
  }
});

test("an ended shell says so and starts a new terminal; an unknown name is explained", async () => {
  const { page, log, context } = await loggedIn(browser, server);
  try {
    await newTerminal(page);
    await run(page, "exit");
    await tid(page, "terminal-ended").waitFor({ timeout: T.short });
    await screenshot(page, "terminal-ended.png");
    // The new terminal may reuse the ended one's name: wait for the page to load anew.
    await Promise.all([page.waitForNavigation({ timeout: T.short }), tid(page, "terminal-new").click()]);
    assert.match(page.url(), /\/terminals\/[^/]+$/);
    await connected(page);
    assert.equal(await tid(page, "terminal-ended").count(), 0);
    await run(page, "echo new-shell");
    await waitScreen(page, /^new-shell$/m);

    await page.goto(server.url + "terminals/no-such-terminal");
    await tid(page, "terminal-missing").waitFor({ timeout: T.short });
    await expectText(tid(page, "terminal-missing"), /no terminal named “no-such-terminal”/);
    assert.match(await page.title(), /^Terminal no-such-terminal /);
    await screenshot(page, "terminal-missing.png");
    assert.deepEqual(log.pageErrors, []);
  } finally {
    await context.close();
  }
});

test("screenshots in light and dark at 1280 and 390 px; the theme follows a switch", async () => {
  const { page, log, context } = await loggedIn(browser, server);
  try {
    await page.emulateMedia({ colorScheme: "light" });
    await newTerminal(page);
    await run(page, "clear; ls --color=always -la; printf '\\e[31mred \\e[32mgreen \\e[33myellow \\e[34mblue \\e[35mmagenta \\e[36mcyan \\e[0m\\e[1mbold\\e[0m \\e[7mreverse\\e[0m\\n'; echo https://example.org/docs");
    await waitScreen(page, /https:\/\/example\.org\/docs$/m);
    const bg = () => page.evaluate(() => getComputedStyle(document.querySelector('[data-testid="terminal"] .xterm-scrollable-element')).backgroundColor);
    const pageBg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    for (const scheme of ["light", "dark"]) {
      await page.emulateMedia({ colorScheme: scheme });
      await poll(async () => (await bg()) === (await pageBg()), `the terminal's background follows the ${scheme} theme`);
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: width > 400 ? 800 : 760 });
        await sleep(300);
        await screenshot(page, `terminal-${scheme}-${width}.png`);
      }
    }
    // A link opens in a new tab, without an opener.
    await page.setViewportSize({ width: 1280, height: 800 });
    await sleep(300);
    await context.route("https://example.org/**", (r) => r.fulfill({ status: 200, contentType: "text/html", body: "<p>ok</p>" }));
    const rowsEl = page.locator('[data-testid="terminal"] .xterm-rows > div');
    const lines = (await rowsEl.allTextContents()).map((l) => l.replace(/\u00a0/g, " ").trimEnd());
    const i = lines.lastIndexOf("https://example.org/docs");
    const box = await rowsEl.nth(i).boundingBox();
    const cols = Number(await tid(page, "terminal").getAttribute("data-cols"));
    const cw = (await page.locator('[data-testid="terminal"] .xterm-screen').boundingBox()).width / cols;
    await page.mouse.move(box.x + cw * 5, box.y + box.height / 2);
    await sleep(200);
    const [tab] = await Promise.all([context.waitForEvent("page", { timeout: T.short }), page.mouse.click(box.x + cw * 5, box.y + box.height / 2)]);
    await tab.waitForURL("https://example.org/docs", { timeout: T.short });
    assert.equal(await tab.evaluate(() => window.opener), null, "no opener");
    assert.deepEqual(log.pageErrors, []);
  } finally {
    await context.close();
  }
});
