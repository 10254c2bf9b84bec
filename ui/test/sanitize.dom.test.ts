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
    assert(toEnd.getAttribute("href") === "#md-The-End", `heading link href = ${toEnd.getAttribute("href")}`);
    assert(toMine.getAttribute("href") === "#md-qmine", `anchor link href = ${toMine.getAttribute("href")}`);
    const heading = el.querySelector("h2");
    assert(heading?.id === "md-The-End", `heading id = ${heading?.id}`);
    assert(el.querySelector("#md-qmine") !== null, "the author's anchor is not reachable as md-qmine");

    window.scrollTo(0, 0);
    toEnd.click();
    await nextFrame();
    assert(location.hash === "#md-The-End", `hash after click = ${location.hash}`);
    const top = heading.getBoundingClientRect().top;
    assert(window.scrollY > 0 && Math.abs(top) < 2, `the heading was not scrolled to (scrollY ${window.scrollY}, top ${top})`);

    toMine.click();
    await nextFrame();
    const mine = el.querySelector("#md-qmine")!;
    assert(Math.abs(mine.getBoundingClientRect().top) < 2, `the author's anchor was not scrolled to (top ${mine.getBoundingClientRect().top})`);
  } finally {
    el.remove();
  }
});
