// Network loss and kernel death: the notebook shows both, keeps edits and
// outputs, refuses to run while disconnected, reconnects by itself and
// receives the output produced meanwhile; a dead kernel offers a restart,
// and one that only stopped answering is shown as such until it is back,
// while what is run meanwhile waits for it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  T, answerDialog, cell, code, expectText, launchBrowser, loggedIn, notebook, openNotebook, outputs, poll, runCell, setSource,
  startServer, tid, treeUrl, waitKernel, writeNotebook,
} from "./harness.mjs";

let browser, server;

before(async () => {
  browser = await launchBrowser();
  server = await startServer({
    name: "resilience",
    setup(root) {
      writeNotebook(root, "net.ipynb", notebook([code("x = 1")]));
      writeNotebook(root, "dies.ipynb", notebook([code("x = 1")]));
    },
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("a lost connection is shown, running is refused, and the output produced meanwhile arrives", async () => {
  const { page, log, context } = await loggedIn(browser, server);
  try {
    // The fault: the page's kernel socket drops, and reconnects fail until
    // the "network" is back (they are pointed at a path that refuses them).
    await page.addInitScript(() => {
      const Real = window.WebSocket;
      window.__ws = [];
      window.__blockWS = false;
      window.WebSocket = function (url, protocols) {
        const ws = new Real(window.__blockWS ? String(url).replace("/api/kernels/", "/api/kernelz/") : url, protocols);
        window.__ws.push(ws);
        return ws;
      };
      window.WebSocket.prototype = Real.prototype;
      Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
    });
    await openNotebook(page, server, "net.ipynb");
    await runCell(page, 0, "import time\nfor i in range(4):\n    time.sleep(0.7); print('tick', i)", { wait: false });
    await expectText(outputs(page, 0).first(), /tick 0/, T.kernel);
    await page.evaluate(() => {
      window.__blockWS = true;
      window.__ws[window.__ws.length - 1].close();
    });
    await tid(page, "connection-lost").waitFor({ timeout: T.short });
    assert.equal(await tid(page, "kernel-status").getAttribute("data-state"), "disconnected");
    // An edit made while offline stays; running it is refused with a message.
    await setSource(page, 1, "print('should not run')");
    await page.keyboard.press("Control+Enter");
    await page.locator('[data-testid="notice"]', { hasText: /not connected/i }).waitFor({ timeout: T.short });
    await page.waitForTimeout(2500); // the cell's remaining ticks happen while disconnected
    await page.evaluate(() => {
      window.__blockWS = false;
    });
    await tid(page, "connection-lost").waitFor({ state: "detached", timeout: T.kernel });
    await poll(async () => /tick 3/.test((await outputs(page, 0).allTextContents()).join("")), "the ticks printed while disconnected arrive", T.kernel);
    const text = (await outputs(page, 0).allTextContents()).join("");
    assert.match(text, /tick 0[\s\S]*tick 1[\s\S]*tick 2[\s\S]*tick 3/);
    assert.equal(await outputs(page, 1).count(), 0, "the refused cell did not run");
    assert.match(await cell(page, 1).locator('[data-testid="cell-input"]').textContent(), /should not run/, "the offline edit is kept");
    assert.deepEqual(log.pageErrors, []);
  } finally {
    await context.close();
  }
});

test("a kernel that dies is shown with a restart button that brings a working kernel back", async () => {
  const { page, log, context } = await loggedIn(browser, server);
  try {
    await openNotebook(page, server, "dies.ipynb");
    await runCell(page, 0, "import os\nos.getpid()");
    await expectText(outputs(page, 0).first(), /\d+/, T.kernel);
    const pid = Number((await outputs(page, 0).first().textContent()).trim());
    assert.ok(pid > 1, "the kernel's pid: " + pid);
    process.kill(pid, "SIGKILL"); // a real crash of the real kernel
    await tid(page, "kernel-dead").waitFor({ timeout: T.kernel });
    await tid(page, "kernel-dead-restart").click();
    await waitKernel(page, "idle");
    await runCell(page, 0, "6*7");
    await expectText(outputs(page, 0).first(), /42/, T.kernel);
    assert.deepEqual(log.pageErrors, []);
  } finally {
    await context.close();
  }
});

test("a kernel that stops answering is shown as not responding, runs what was queued meanwhile when it is back, and restarts", async () => {
  // Its own server, with heartbeats fast enough to notice a stop in ~2 s
  // (500 ms × 4 misses); the page reads the kernel's model every 3 s while
  // it waits for a reply, so the banner shows within about 5 s.
  const hb = await startServer({
    name: "resilience-heartbeat",
    args: ["--kernel-heartbeat-interval", "500ms", "--kernel-heartbeat-misses", "4"],
    setup(root) {
      writeNotebook(root, "hb.ipynb", notebook([code("x = 1"), code(""), code("")]));
    },
  });
  const { page, log, context } = await loggedIn(browser, hb);
  let pid = 0;
  try {
    await openNotebook(page, hb, "hb.ipynb");
    await runCell(page, 0, "import os\nos.getpid()");
    await expectText(outputs(page, 0).first(), /\d+/, T.kernel);
    pid = Number((await outputs(page, 0).first().textContent()).trim());
    assert.ok(pid > 1, "the kernel's pid: " + pid);

    // A cell is running when the kernel's process is stopped (a real
    // SIGSTOP: the process runs on but answers nothing).
    await runCell(page, 1, "import time\ntime.sleep(3)\nprint('woke')", { wait: false });
    await poll(async () => (await tid(page, "kernel-status").getAttribute("data-state")) === "busy", "the cell runs");
    process.kill(pid, "SIGSTOP");
    const banner = tid(page, "kernel-unresponsive");
    await banner.waitFor({ timeout: T.kernel });
    assert.equal(await tid(page, "kernel-status").getAttribute("data-state"), "unresponsive");
    assert.match(await banner.textContent(), /not responding[\s\S]*still running/);
    assert.equal(await tid(page, "kernel-dead").count(), 0, "not shown as died");
    assert.equal(await outputs(page, 1).count(), 0, "a stopped process printed nothing");
    // The file browser's list of running kernels says so too.
    const tree = await context.newPage();
    await tree.goto(treeUrl(hb));
    await expectText(tid(tree, "kernel-row"), /not responding/, T.short);
    await tree.close();
    // A cell run meanwhile is sent all the same (the server queues it),
    // with a notice that it waits for the kernel.
    await runCell(page, 2, "print('queued', 6*7)", { wait: false });
    await page.locator('[data-testid="notice"]', { hasText: /not responding[\s\S]*answers again/i }).waitFor({ timeout: T.short });
    await expectText(cell(page, 2).locator('[data-testid="cell-prompt"]'), /\[\*\]/, T.short);
    assert.equal(await page.locator('[data-testid="notice"]', { hasText: /not run/i }).count(), 0, "not refused");
    assert.equal(await tid(page, "kernel-status").getAttribute("data-state"), "unresponsive");
    assert.equal(await outputs(page, 2).count(), 0, "a stopped process ran nothing");

    // It comes back: the banner goes, the running cell finishes, and the
    // queued one runs.
    process.kill(pid, "SIGCONT");
    await banner.waitFor({ state: "detached", timeout: T.kernel });
    await expectText(outputs(page, 1).first(), /woke/, T.kernel);
    await expectText(outputs(page, 2).first(), /queued 42/, T.kernel);
    await expectText(cell(page, 2).locator('[data-testid="cell-prompt"]'), /\[\d+\]/, T.kernel);
    await waitKernel(page, "idle");
    await runCell(page, 0, "6*7");
    await expectText(outputs(page, 0).first(), /42/, T.kernel);

    // Stopped again, a run waits for it, the banner shows, and the kernel
    // can be restarted from it.
    process.kill(pid, "SIGSTOP");
    await runCell(page, 2, "print('never')", { wait: false });
    await banner.waitFor({ timeout: T.kernel });
    await tid(page, "kernel-unresponsive-restart").click();
    await answerDialog(page, "Restart");
    await waitKernel(page, "idle");
    await runCell(page, 0, "import os\nos.getpid()");
    await poll(async () => {
      const n = Number(((await outputs(page, 0).first().textContent()) ?? "").trim());
      return n > 1 && n !== pid;
    }, "a new kernel process answers", T.kernel);
    assert.equal(await tid(page, "kernel-unresponsive").count(), 0);
    assert.deepEqual(log.pageErrors, []);
  } finally {
    if (pid > 1) {
      try {
        process.kill(pid, "SIGCONT");
      } catch {
        /* gone */
      }
    }
    await context.close();
    await hb.stop();
  }
});
