// Scrolling the page to something in a cell that may not be laid out yet.
// Cells far from the viewport have a guessed height (content-visibility)
// and build their editor, markdown and outputs only when they come near
// it (celllist.ts), so one scrollIntoView lands in the wrong place: the
// cells it passes render, grow, and push the target away. reveal scrolls,
// waits a frame, measures again and corrects until the target stays put.

/** Box is the part of a target reveal needs: its viewport coordinates. */
export interface Box {
  top: number;
  bottom: number;
}

/** topInset is how much of the viewport's top the sticky bars among els cover. */
export function topInset(els: readonly (HTMLElement | null | undefined)[]): number {
  let inset = 0;
  for (const el of els) {
    if (!el || !el.isConnected || el.hidden) continue;
    const pos = getComputedStyle(el).position;
    if (pos !== "sticky" && pos !== "fixed") continue;
    const r = el.getBoundingClientRect();
    if (r.height > 0 && r.top < window.innerHeight / 2) inset = Math.max(inset, r.bottom);
  }
  return inset;
}

/** Frames the target must stay put before reveal stops. */
const STABLE_FRAMES = 6;
/** reveal gives up after this long (a target that keeps moving). */
const MAX_MS = 2500;

let current = 0;

/**
 * reveal scrolls the window until box() (re-read every frame) is in view:
 * "top" puts its top just below inset(); "nearest" scrolls only when it is
 * not wholly visible, then to a third of the visible height. It stops when
 * the target has stayed still for a few frames, when a newer reveal
 * starts, or when the user scrolls by wheel or touch.
 */
export function reveal(box: () => Box | null, inset: () => number, align: "top" | "nearest"): Promise<void> {
  const me = ++current;
  let userScrolled = false;
  const stop = () => {
    userScrolled = true;
  };
  const opts: AddEventListenerOptions = { passive: true, capture: true };
  window.addEventListener("wheel", stop, opts);
  window.addEventListener("touchstart", stop, opts);
  const t0 = performance.now();
  return new Promise((resolve) => {
    let still = 0;
    let last = NaN;
    const done = () => {
      window.removeEventListener("wheel", stop, opts);
      window.removeEventListener("touchstart", stop, opts);
      resolve();
    };
    const step = () => {
      if (userScrolled || me !== current || performance.now() - t0 > MAX_MS) return done();
      const b = box();
      if (!b) return done();
      const top = inset() + 8;
      const vh = window.innerHeight;
      let delta = 0;
      if (align === "top") delta = b.top - top;
      else if (b.top < top || b.bottom > vh - 8) delta = b.top - (top + Math.max(0, (vh - top) / 3));
      still = Math.abs(b.top - last) < 1 ? still + 1 : 0;
      last = b.top;
      if (still >= STABLE_FRAMES) return done();
      if (Math.abs(delta) >= 1) window.scrollBy(0, delta);
      requestAnimationFrame(step);
    };
    step();
  });
}
