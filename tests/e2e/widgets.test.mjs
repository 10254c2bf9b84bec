// Interactive widgets against the real Python side: ipywidgets 8.1 and comm
// from Debian 13, unpacked by `make deps` under .tools/pywidgets and put on
// the kernel's PYTHONPATH (Debian 12's ipykernel speaks to them fine).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  T, cell, code, login, startServer, dumpOnFail, expectText, launchBrowser, loggedIn, notebook, openNotebook, outputs, poll, runCell, screenshot,
  waitKernel, writeNotebook,
} from "./harness.mjs";

const PYWIDGETS = fileURLToPath(new URL("../../.tools/pywidgets/usr/lib/python3/dist-packages", import.meta.url));

let browser, server, root;

before(async () => {
  assert.ok(existsSync(join(PYWIDGETS, "ipywidgets", "__init__.py")), `ipywidgets 8 is not unpacked at ${PYWIDGETS}: run make deps-widgets`);
  browser = await launchBrowser();
  server = await startWidgetServer();
});

function startWidgetServer() {
  return startServer({
    name: "widgets",
    env: { PYTHONPATH: PYWIDGETS },
    setup(r) {
      root = r;
      for (const n of ["slider.ipynb", "output.ipynb", "interact.ipynb", "views.ipynb", "style.ipynb"]) writeNotebook(r, n, notebook([code("")]));
      writeNotebook(r, "hostile.ipynb", hostileNotebook());
    },
  });
}

after(async () => {
  await browser?.close();
  await server?.stop();
});

const widgetIn = (page, i) => cell(page, i).locator(".q-widget");
const sliderValue = (page, i, n = 0) => widgetIn(page, i).nth(n).locator(".widget-readout");

describe("ipywidgets 8", () => {
  test("an IntSlider shows, moves with the keyboard and the mouse, and the kernel sees its value", async () => {
    const { page, context } = await loggedIn(browser, server);
    try {
      await openNotebook(page, server, "slider.ipynb");
      await dumpOnFail(page, "widgets-slider", async () => {
        await runCell(page, 0, "import ipywidgets as w\ns = w.IntSlider(value=3, max=10, description='n')\ns");
        await widgetIn(page, 0).locator(".widget-slider").waitFor({ timeout: T.kernel });
        assert.equal((await sliderValue(page, 0).textContent()).trim(), "3");
        assert.equal(await outputs(page, 0).filter({ hasText: "IntSlider(" }).count(), 0, "the view, not the text fallback");
        // Keyboard: the handle takes arrow keys.
        await widgetIn(page, 0).locator(".noUi-handle").focus();
        await page.keyboard.press("ArrowRight");
        await poll(async () => (await sliderValue(page, 0).textContent()).trim() === "4", "the readout shows 4");
        await runCell(page, 1, "print(s.value)");
        await expectText(outputs(page, 1), "4", T.kernel);
        // Mouse: drag the handle to the far right.
        const track = widgetIn(page, 0).locator(".noUi-target");
        const box = await track.boundingBox();
        const handle = await widgetIn(page, 0).locator(".noUi-handle").boundingBox();
        await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
        await page.mouse.down();
        await page.mouse.move(box.x + box.width + 20, handle.y + handle.height / 2, { steps: 8 });
        await page.mouse.up();
        await poll(async () => (await sliderValue(page, 0).textContent()).trim() === "10", "dragged to 10");
        await runCell(page, 2, "print('value', s.value)");
        await expectText(outputs(page, 2), "value 10", T.kernel);
        // The kernel changes it: the view follows.
        await runCell(page, 3, "s.value = 7");
        await poll(async () => (await sliderValue(page, 0).textContent()).trim() === "7", "the kernel's change shows");
        await screenshot(page, "widgets-slider.png");
        // Saved: the state is in the file and the slider shows on reopening, before any kernel comm.
        await page.keyboard.press("Escape");
        await page.keyboard.press("Control+s");
        await poll(() => {
          const nb = JSON.parse(readFileSync(join(root, "slider.ipynb"), "utf8"));
          const st = nb.metadata?.widgets?.["application/vnd.jupyter.widget-state+json"];
          return st && Object.values(st.state).some((m) => m.model_name === "IntSliderModel" && m.state.value === 7);
        }, "the widget state is saved in metadata.widgets");
        const res = await page.request.delete(`${server.url}api/sessions/${await sessionId(page, server, "slider.ipynb")}`, { headers: await xsrf(page) });
        assert.ok(res.ok(), `session deleted: ${res.status()}`);
        await page.reload();
        await widgetIn(page, 0).locator(".widget-slider").waitFor({ timeout: T.short });
        assert.equal((await sliderValue(page, 0).textContent()).trim(), "7", "the saved value shows");
      });
    } finally {
      await context.close();
    }
  });

  test("an Output widget captures a print; a cell's own output stays its own", async () => {
    const { page, context } = await loggedIn(browser, server);
    try {
      await openNotebook(page, server, "output.ipynb");
      await dumpOnFail(page, "widgets-output", async () => {
        await runCell(page, 0, "import ipywidgets as w\nout = w.Output(layout={'border': '1px solid gray'})\ndisplay(out)\nprint('cell text')");
        await widgetIn(page, 0).first().waitFor({ timeout: T.kernel });
        await runCell(page, 1, "with out:\n    print('captured line')\nprint('second cell')");
        await expectText(widgetIn(page, 0), "captured line", T.kernel);
        await expectText(outputs(page, 1), "second cell", T.kernel);
        assert.equal(await outputs(page, 1).filter({ hasText: "captured line" }).count(), 0, "the capture did not land in cell 1");
        await runCell(page, 2, "print(len(out.outputs), out.outputs[0]['text'].strip())");
        await expectText(outputs(page, 2), "1 captured line", T.kernel);
        await runCell(page, 3, "out.clear_output()");
        await poll(async () => !((await widgetIn(page, 0).first().textContent()) ?? "").includes("captured line"), "clear_output empties it");
      });
    } finally {
      await context.close();
    }
  });

  test("interact makes a slider whose changes rerun the function", async () => {
    const { page, context } = await loggedIn(browser, server);
    try {
      await openNotebook(page, server, "interact.ipynb");
      await dumpOnFail(page, "widgets-interact", async () => {
        await runCell(page, 0, "from ipywidgets import interact\n@interact(x=5)\ndef f(x):\n    print('twice', x * 2)");
        await expectText(widgetIn(page, 0), "twice 10", T.kernel);
        await widgetIn(page, 0).locator(".noUi-handle").first().focus();
        await page.keyboard.press("ArrowRight");
        await expectText(widgetIn(page, 0), "twice 12", T.kernel);
        await screenshot(page, "widgets-interact.png");
      });
    } finally {
      await context.close();
    }
  });

  test("one model shown twice moves both views; jslink links two sliders in the page", async () => {
    const { page, context } = await loggedIn(browser, server);
    try {
      await openNotebook(page, server, "views.ipynb");
      await dumpOnFail(page, "widgets-views", async () => {
        await runCell(page, 0, "import ipywidgets as w\ns = w.IntSlider(value=1)\ndisplay(s)\ndisplay(s)");
        await poll(async () => (await widgetIn(page, 0).count()) === 2, "two views");
        await widgetIn(page, 0).nth(0).locator(".noUi-handle").focus();
        await page.keyboard.press("ArrowRight");
        await poll(async () => (await sliderValue(page, 0, 1).textContent()).trim() === "2", "the second view follows the first");
        await runCell(page, 1, "a = w.IntSlider(value=0, description='a')\nb = w.IntSlider(value=0, description='b')\nw.jslink((a, 'value'), (b, 'value'))\ndisplay(a, b)");
        await poll(async () => (await widgetIn(page, 1).count()) === 2, "a and b shown");
        await widgetIn(page, 1).nth(0).locator(".noUi-handle").focus();
        await page.keyboard.press("ArrowRight");
        await page.keyboard.press("ArrowRight");
        await poll(async () => (await sliderValue(page, 1, 1).textContent()).trim() === "2", "b follows a through jslink");
        await runCell(page, 2, "print('b is', b.value)");
        await expectText(outputs(page, 2), "b is 2", T.kernel);
      });
    } finally {
      await context.close();
    }
  });

  test("layout and style attributes apply; screenshots light and dark at 1280 and 390 px", async () => {
    const { page, context } = await loggedIn(browser, server);
    try {
      await openNotebook(page, server, "style.ipynb");
      await dumpOnFail(page, "widgets-style", async () => {
        await runCell(
          page,
          0,
          "import ipywidgets as w\n" +
            "s = w.IntSlider(value=4, max=9, description='count', layout=w.Layout(width='320px', border='2px solid rgb(0, 128, 0)'), style={'handle_color': 'rgb(255, 0, 0)', 'description_width': 'initial'})\n" +
            "b = w.Button(description='Go', button_style='success', layout=w.Layout(width='140px'))\n" +
            "d = w.Dropdown(options=['a', 'b'], value='b', description='pick')\n" +
            "display(w.VBox([s, w.HBox([b, d])]))",
        );
        const slider = widgetIn(page, 0).locator(".widget-slider").first();
        await slider.waitFor({ timeout: T.kernel });
        const box = await slider.boundingBox();
        assert.ok(Math.abs(box.width - 320) <= 2, `layout width 320px: ${box.width}`);
        assert.equal(await slider.evaluate((el) => getComputedStyle(el).borderTopColor), "rgb(0, 128, 0)", "layout border");
        assert.equal(await slider.locator(".noUi-handle").evaluate((el) => getComputedStyle(el).backgroundColor), "rgb(255, 0, 0)", "style handle_color");
        const button = widgetIn(page, 0).locator("button.widget-button").first();
        assert.equal(Math.round((await button.boundingBox()).width), 140, "button width");
        assert.ok((await button.getAttribute("class")).includes("mod-success"), "button_style");
        await button.click();
        await page.keyboard.press("Escape");
        await page.keyboard.press("Control+s");
        await poll(() => JSON.parse(readFileSync(join(root, "style.ipynb"), "utf8")).metadata?.widgets !== undefined, "saved with widget state");
      });
    } finally {
      await context.close();
    }
    for (const scheme of ["light", "dark"]) {
      for (const width of [1280, 390]) {
        const ctx = await browser.newContext({ viewport: { width, height: 800 }, colorScheme: scheme });
        const p = await ctx.newPage();
        try {
          await login(p, server);
          await openNotebook(p, server, "style.ipynb", { kernel: false });
          await widgetIn(p, 0).locator(".widget-slider").first().waitFor({ timeout: T.short });
          await screenshot(p, `widgets-${scheme}-${width}.png`);
          const over = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          assert.ok(over <= 1, `${scheme} ${width}: the page does not scroll sideways (${over}px)`);
        } finally {
          await ctx.close();
        }
      }
    }
  });

  test("an untrusted notebook's saved HTML widget runs no script", async () => {
    const { page, context } = await loggedIn(browser, server);
    try {
      await page.addInitScript(() => {
        window.__pwned = false;
      });
      await openNotebook(page, server, "hostile.ipynb", { kernel: false });
      await dumpOnFail(page, "widgets-hostile", async () => {
        await widgetIn(page, 0).first().waitFor({ timeout: T.short });
        await expectText(widgetIn(page, 0), "shown text");
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(await page.evaluate(() => window.__pwned), false, "no handler ran");
        assert.equal(await widgetIn(page, 0).locator("img[onerror], script").count(), 0, "no handler or script in the DOM");
      });
    } finally {
      await context.close();
    }
  });
});

async function xsrf(page) {
  const cookies = await page.context().cookies();
  const x = cookies.find((c) => c.name === "_xsrf");
  return x ? { "X-XSRFToken": x.value } : {};
}

async function sessionId(page, server, path) {
  const r = await page.request.get(`${server.url}api/sessions`);
  const list = await r.json();
  const s = list.find((x) => x.path === path);
  assert.ok(s, `a session for ${path}`);
  return s.id;
}

/** hostileNotebook has saved state for an HTML widget with script in it, no trust. */
function hostileNotebook() {
  const id = "a".repeat(32);
  const nb = notebook([
    code("w.HTML('...')", [
      {
        output_type: "display_data",
        metadata: {},
        data: { "application/vnd.jupyter.widget-view+json": { model_id: id, version_major: 2, version_minor: 0 }, "text/plain": "HTML(value='...')" },
      },
    ]),
  ]);
  nb.metadata.widgets = {
    "application/vnd.jupyter.widget-state+json": {
      version_major: 2,
      version_minor: 0,
      state: {
        [id]: {
          model_name: "HTMLModel",
          model_module: "@jupyter-widgets/controls",
          model_module_version: "2.0.0",
          state: { value: `<b>shown text</b><img src=x onerror="window.__pwned=true"><script>window.__pwned=true</script>`, description: "<img src=y onerror=\"window.__pwned=true\">" },
        },
      },
    },
  };
  return nb;
}
