// CellList's attaching of a long notebook in a real page: the first chunk at
// once, the rest in idle time, and all at once when the reader heads for the
// end of what is attached, even on a page that is never idle (scrolled every
// frame), where waiting for idle time left the last cell blank for seconds.
import { assert, domTest, nextFrame } from "./dom";
import { Cell, type CellHost } from "../src/notebook/cell";
import { CellList } from "../src/notebook/celllist";
import { newCell } from "../src/notebook/model";

const host = {
  notebookPath: "t.ipynb",
  codeLanguage: () => [],
  codeParser: () => null,
  editing: () => false,
  registerDisplays: () => {},
  viewChanged: () => {},
  lineNumbers: () => false,
} as unknown as CellHost;

/** neverIdle makes requestIdleCallback never call back while fn runs. */
async function neverIdle(fn: () => Promise<void>): Promise<void> {
  const ric = window.requestIdleCallback;
  const cic = window.cancelIdleCallback;
  window.requestIdleCallback = (() => 1) as typeof window.requestIdleCallback;
  window.cancelIdleCallback = () => {};
  try {
    await fn();
  } finally {
    window.requestIdleCallback = ric;
    window.cancelIdleCallback = cic;
  }
}

function longList(n: number, source = (i: number) => `x = ${i}\nprint(x)`): CellList {
  const el = document.createElement("div");
  document.body.append(el);
  const list = new CellList(el, (d) => new Cell(d, host), () => newCell("code", "", true));
  list.load(Array.from({ length: n }, (_, i) => newCell("code", source(i), true)));
  return list;
}

domTest("a long notebook attaches only its first chunk at once", async () => {
  await neverIdle(async () => {
    const list = longList(600);
    try {
      assert(list.isAttached(0), "the first cell is not in the page");
      assert(!list.isAttached(599), "every cell went into the page at once");
      assert(list.el.children.length < 600, `${list.el.children.length} cells in the page at once`);
    } finally {
      list.el.remove();
    }
  });
});

domTest("a notebook of a few hundred cells goes into the page at once", async () => {
  await neverIdle(async () => {
    const list = longList(300);
    try {
      assert(list.el.children.length === 300, `${list.el.children.length} of 300 cells in the page at once`);
    } finally {
      list.el.remove();
    }
  });
});

domTest("scrolling to the end attaches the rest without idle time", async () => {
  await neverIdle(async () => {
    const list = longList(600);
    try {
      const before = list.el.children.length;
      assert(before < 600, `${before} cells in the page before scrolling`);
      // The reader heads for the end: scroll each frame, as the End key or a
      // scrollbar drag does, until every cell is in the page.
      for (let i = 0; i < 20 && list.el.children.length < 600; i++) {
        window.scrollTo(0, document.documentElement.scrollHeight);
        await nextFrame();
      }
      assert(list.el.children.length === 600, `only ${list.el.children.length} of 600 cells in the page after scrolling to the end`);
      assert(list.isAttached(599), "the last cell is not attached");
      list.cells.forEach((c, i) => assert(c.index === i, `cell ${i} thinks it is ${c.index}`));
    } finally {
      list.el.remove();
      window.scrollTo(0, 0);
    }
  });
});

domTest("first cells shorter than guessed attach another chunk, not the whole notebook", async () => {
  await neverIdle(async () => {
    // One-line cells: the first chunk ends within a screen of the view, where
    // the tail observer watches for a reader heading for the end. Nobody
    // scrolled, so only enough cells to put the tail out of reach go in.
    window.scrollTo(0, 0);
    const style = document.createElement("style");
    style.textContent = ".short-cells > * { height: 20px; overflow: hidden; }";
    document.head.append(style);
    const list = longList(2000, (i) => `${i}`);
    list.el.classList.add("short-cells");
    try {
      for (let i = 0; i < 10; i++) await nextFrame();
      const n = list.el.children.length;
      assert(n < 2000, `all ${n} cells went into the page before any scroll`);
      const last = list.el.children[n - 1].getBoundingClientRect();
      assert(last.top > 2 * innerHeight, `the last attached cell is at ${last.top}px, within reach of a ${innerHeight}px view`);
    } finally {
      list.el.remove();
      style.remove();
    }
  });
});

domTest("cells in view hydrate at once, those in the margin below only in idle time", async () => {
  await neverIdle(async () => {
    window.scrollTo(0, 0);
    const list = longList(600);
    try {
      for (let i = 0; i < 30 && !list.cells[1].hydrated; i++) await nextFrame();
      await nextFrame();
      let inView = 0, below = 0;
      for (let i = 0; i < list.length && list.isAttached(i); i++) {
        const c = list.cells[i];
        const top = c.el.getBoundingClientRect().top;
        if (top < innerHeight) {
          assert(c.hydrated, `cell ${c.index} at ${top}px is in a ${innerHeight}px view but not hydrated`);
          inView++;
        } else if (top > innerHeight + 50 && top < innerHeight + 500) {
          // Within the observer's margin: hydrating it may wait for idle time (none here).
          assert(!c.hydrated, `cell ${c.index} at ${top}px, below the view, was hydrated without idle time`);
          below++;
        }
      }
      assert(inView > 0 && below > 0, `the test saw ${inView} cells in view and ${below} below it`);
    } finally {
      list.el.remove();
    }
  });
});
