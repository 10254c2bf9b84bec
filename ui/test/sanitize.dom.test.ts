// DOM clobbering (issue #14): ids and names in untrusted HTML and markdown
// must not define window.x or document.x, while in-notebook anchor links
// keep reaching (and scrolling to) their headings and anchors.
import { assert, domTest, nextFrame } from "./dom";
import { sanitize } from "../src/outputs/sanitize";
import { renderMarkdown } from "../src/markdown";

const w = window as unknown as Record<string, unknown>;
const d = document as unknown as Record<string, unknown>;

domTest("untrusted HTML output defines no named properties", () => {
  const names = ["qx1", "qx2", "qx3", "qx4", "qx5", "qx6", "qconfig"];
  for (const n of names) assert(!(n in w) && !(n in d), `${n} defined before the test`);
  const { fragment } = sanitize(
    `<a id="qx1" href="https://example.com">a</a><img name="qx2" src="data:image/png;base64,AA=="><div id="qx3">d</div>` +
      `<a id="qconfig"></a><a id="qconfig" name="url" href="https://evil.example">c</a>` +
      `<img id="qx4" name="qx5"><svg><circle id="qx6"></circle></svg>`,
  );
  const host = document.createElement("div");
  host.append(fragment);
  document.body.append(host);
  try {
    for (const n of names) {
      assert(w[n] === undefined, `window.${n} is defined: ${String(w[n])}`);
      assert(d[n] === undefined, `document.${n} is defined: ${String(d[n])}`);
    }
    // The elements survive, renamed.
    assert(host.querySelector("#user-content-qx1")?.textContent === "a", "the link lost its prefixed id");
    assert(host.querySelector('img[name="user-content-qx2"]') !== null, "the image lost its prefixed name");
  } finally {
    host.remove();
  }
});

domTest("in-page links in HTML output still reach their anchors", () => {
  const { fragment, removedActive } = sanitize(`<a href="#part-2">to part 2</a><h2 id="part-2">Part 2</h2><a name="old">o</a><a href="#old">x</a>`);
  assert(!removedActive, "renaming ids must not count as removing active content");
  const host = document.createElement("div");
  host.append(fragment);
  const links = host.querySelectorAll("a[href]");
  assert(links[0].getAttribute("href") === "#user-content-part-2", `href = ${links[0].getAttribute("href")}`);
  assert(host.querySelector("#user-content-part-2")?.textContent === "Part 2", "the heading lost its id");
  assert(links[1].getAttribute("href") === "#user-content-old", `href = ${links[1].getAttribute("href")}`);
  assert(!links[0].hasAttribute("target"), "in-page link opens a new tab");
});

domTest("references to renamed ids follow them: SVG url(#), label for, ARIA, usemap", () => {
  const { fragment } = sanitize(
    `<svg width="10" height="10"><defs><linearGradient id="g1"></linearGradient></defs>` +
      `<rect fill="url(#g1)" style="stroke: url('#g1')" width="5" height="5"></rect></svg>` +
      `<label for="in1">L</label><input id="in1" aria-describedby="h1 h2"><map name="m1"></map><img usemap="#m1">`,
  );
  const host = document.createElement("div");
  host.append(fragment);
  const rect = host.querySelector("rect")!;
  assert(rect.getAttribute("fill") === "url(#user-content-g1)", `fill = ${rect.getAttribute("fill")}`);
  assert((rect.getAttribute("style") || "").includes("url('#user-content-g1')"), `style = ${rect.getAttribute("style")}`);
  assert(host.querySelector("#user-content-g1") !== null, "the gradient lost its id");
  assert(host.querySelector("label")!.htmlFor === "user-content-in1", `label for = ${host.querySelector("label")!.htmlFor}`);
  assert(host.querySelector("input")!.getAttribute("aria-describedby") === "user-content-h1 user-content-h2", "aria-describedby not renamed");
  assert(host.querySelector("img")!.getAttribute("usemap") === "#user-content-m1", `usemap = ${host.querySelector("img")!.getAttribute("usemap")}`);
});

domTest("markdown heading and author anchors work, scroll, and clobber nothing", async () => {
  const el = document.createElement("div");
  document.body.append(el);
  const filler = "Some text.\n\n".repeat(150);
  renderMarkdown(
    `[to the end](#The-End) and [to mine](#qmine)\n\n${filler}<a id="qmine"></a>\n\n${filler}## The End\n\ndone\n\n${filler}`,
    el,
    { notebookPath: "dir/nb.ipynb" },
  );
  try {
    assert(w.qmine === undefined && d.qmine === undefined, "window.qmine is defined by <a id=qmine>");
    const [toEnd, toMine] = Array.from(el.querySelectorAll<HTMLAnchorElement>("a[href]"));
    assert(toEnd.getAttribute("href") === "#user-content-The-End", `heading link href = ${toEnd.getAttribute("href")}`);
    assert(toMine.getAttribute("href") === "#user-content-qmine", `anchor link href = ${toMine.getAttribute("href")}`);
    const heading = el.querySelector("h2");
    assert(heading?.id === "user-content-The-End", `heading id = ${heading?.id}`);
    assert(el.querySelector("#user-content-qmine") !== null, "the author's anchor lost its id");

    window.scrollTo(0, 0);
    toEnd.click();
    await nextFrame();
    assert(location.hash === "#user-content-The-End", `hash after click = ${location.hash}`);
    const top = heading.getBoundingClientRect().top;
    assert(window.scrollY > 0 && Math.abs(top) < 2, `the heading was not scrolled to (scrollY ${window.scrollY}, top ${top})`);

    toMine.click();
    await nextFrame();
    const mine = el.querySelector("#user-content-qmine")!;
    assert(Math.abs(mine.getBoundingClientRect().top) < 2, `the author's anchor was not scrolled to (top ${mine.getBoundingClientRect().top})`);
  } finally {
    el.remove();
  }
});
