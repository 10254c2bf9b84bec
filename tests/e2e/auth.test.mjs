// Log in / log out through the real pages, the CSP of the app's pages, and
// a ?token= login that leaves no token in the address bar.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  T, launchBrowser, login, newPage, scriptDialogs, startServer, tid, treeUrl, notebookUrl, writeNotebook, notebook, code,
} from "./harness.mjs";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

describe("password login", () => {
  let server;
  before(async () => {
    server = await startServer({
      name: "auth",
      setup: (root) => writeNotebook(root, "hello.ipynb", notebook([code("1+1")])),
    });
  });
  after(async () => {
    await server?.stop();
  });

  test("wrong password stays on the form, right one lands in the file browser, logout ends the session", async () => {
    const { page, log, context } = await newPage(browser);
    // An unauthenticated page visit goes to the login form.
    await page.goto(treeUrl(server));
    assert.match(new URL(page.url()).pathname, /\/login$/);

    await page.locator("input#password").fill("not the password");
    await Promise.all([page.waitForNavigation(), page.locator('form button[type="submit"]').click()]);
    assert.match(new URL(page.url()).pathname, /\/login$/, "a wrong password stays on the login page");
    const err = page.locator('.error[role="alert"]');
    await err.waitFor({ timeout: T.short });
    assert.match((await err.textContent()) ?? "", /invalid credentials/i);
    assert.ok(await page.locator("input#password").isVisible(), "the form is shown again");

    await page.locator("input#password").fill(server.password);
    await Promise.all([page.waitForNavigation(), page.locator('form button[type="submit"]').click()]);
    await tid(page, "file-list").waitFor({ timeout: T.short });
    assert.match(new URL(page.url()).pathname, /\/tree\/?$/, "lands in the file browser: " + page.url());
    await page.locator('[data-testid="file-row"][data-name="hello.ipynb"]').waitFor({ timeout: T.short });

    await Promise.all([page.waitForNavigation(), tid(page, "logout").click()]);
    await page.getByText("You have logged out.").waitFor({ timeout: T.short });
    assert.match(new URL(page.url()).pathname, /\/logout$/);

    // The session is gone: /tree sends us back to the login form.
    await page.goto(treeUrl(server));
    assert.match(new URL(page.url()).pathname, /\/login$/, "after logout /tree redirects to login: " + page.url());
    const r = await page.request.get(server.url + "api/contents");
    assert.ok([401, 403].includes(r.status()), "the API refuses the old cookie: " + r.status());
    assert.deepEqual(scriptDialogs(log), []);
    await context.close();
  });

  test("the app's pages are served with a strict script-src", async () => {
    const { page, context } = await newPage(browser);
    await login(page, server);
    for (const u of [treeUrl(server), notebookUrl(server, "hello.ipynb")]) {
      const resp = await page.goto(u);
      assert.ok(resp, "a response for " + u);
      const csp = resp.headers()["content-security-policy"];
      assert.ok(csp, "Content-Security-Policy on " + u);
      const directives = Object.fromEntries(
        csp.split(";").map((d) => d.trim()).filter(Boolean).map((d) => {
          const [k, ...v] = d.split(/\s+/);
          return [k.toLowerCase(), v];
        }),
      );
      const scriptSrc = directives["script-src"] ?? directives["default-src"];
      assert.ok(scriptSrc, `script-src in ${csp}`);
      assert.ok(scriptSrc.includes("'self'"), `script-src 'self' in ${csp}`);
      assert.ok(!scriptSrc.includes("'unsafe-inline'"), `no 'unsafe-inline' in script-src: ${csp}`);
      assert.ok(!scriptSrc.includes("'unsafe-eval'"), `no 'unsafe-eval' in script-src: ${csp}`);
      assert.ok(!scriptSrc.some((s) => s === "*" || s === "data:" || s === "blob:"), `no wildcard/data:/blob: in script-src: ${csp}`);
    }
    await context.close();
  });
});

describe("token login", () => {
  let server;
  const token = "e2e-secret-token-0123456789abcdef";
  before(async () => {
    server = await startServer({ name: "token", token });
  });
  after(async () => {
    await server?.stop();
  });

  test("?token= logs in and is stripped from the address bar", async () => {
    const { page, context } = await newPage(browser);
    await page.goto(server.url + "?token=" + token);
    await tid(page, "file-list").waitFor({ timeout: T.short });
    assert.ok(!page.url().includes(token), "no token in " + page.url());
    assert.ok(!page.url().includes("token="), "no token= in " + page.url());
    const href = await page.evaluate(() => location.href);
    assert.ok(!href.includes(token), "location.href has no token: " + href);
    // Deep link with a token too.
    await page.goto(treeUrl(server) + "?token=" + token);
    await tid(page, "file-list").waitFor({ timeout: T.short });
    assert.ok(!page.url().includes(token), "no token in " + page.url());
    // Nothing the UI requests carries the token either.
    const seen = [];
    page.on("request", (r) => seen.push(r.url()));
    await page.reload();
    await tid(page, "file-list").waitFor({ timeout: T.short });
    assert.deepEqual(seen.filter((u) => u.includes(token)), []);
    await context.close();
  });
});
