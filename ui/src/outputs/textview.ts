// TextView shows a Terminal's lines in a <pre>, windowed: at most the last
// maxLines lines / maxChars characters are in the DOM (with a control to
// show more, show all or download the rest), lines longer than LINE_CAP are
// cut, and updates from a fast stream are coalesced into one DOM update per
// animation frame. Completed lines never change, so an update only appends
// new lines, drops lines that left the window and redraws the current line.
import { Terminal, lineLength, styleClasses, styleColors, type Line } from "./ansi";
import { themedColor } from "./palette";

export const DEFAULT_MAX_LINES = 2000;
export const DEFAULT_MAX_CHARS = 256 * 1024;
export const LINE_CAP = 20000;

export class TextView {
  readonly root: HTMLElement;
  readonly term: Terminal;
  private readonly pre: HTMLPreElement;
  private control: HTMLElement | null = null;
  private controlText: HTMLElement | null = null;
  private maxLines = DEFAULT_MAX_LINES;
  private maxChars = DEFAULT_MAX_CHARS;
  /** the completed lines [first, end) are in the DOM, one node each, in order */
  private first = 0;
  private end = 0;
  private curNode: HTMLElement | null = null;
  private frame = 0;
  private readonly downloadName: string;

  constructor(term: Terminal, className: string, downloadName = "output.txt") {
    this.term = term;
    this.downloadName = downloadName;
    this.root = document.createElement("div");
    this.root.className = "q-textview";
    this.pre = document.createElement("pre");
    this.pre.className = className;
    this.root.append(this.pre);
  }

  /** schedule coalesces updates into the next animation frame. */
  schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.flush();
    });
  }

  /** flush brings the DOM up to date now. */
  flush(): void {
    if (this.frame) {
      cancelAnimationFrame(this.frame);
      this.frame = 0;
    }
    const L = this.term.lines;
    const start = this.windowStart();
    const canPatch = start >= this.first && start <= this.end && this.end <= L.length;
    if (!canPatch) {
      this.pre.replaceChildren();
      this.first = this.end = start;
      this.curNode = null;
    } else {
      for (let i = this.first; i < start; i++) this.pre.firstChild?.remove();
      this.first = start;
    }
    if (this.end < L.length) {
      const frag = document.createDocumentFragment();
      for (let i = Math.max(this.end, start); i < L.length; i++) frag.append(renderLine(L.get(i), true));
      this.pre.insertBefore(frag, this.curNode);
      this.end = L.length;
    }
    const cur = this.term.curLen > 0 ? renderLine(this.term.cur, false) : null;
    if (this.curNode) this.curNode.remove();
    this.curNode = cur;
    if (cur) this.pre.append(cur);
    this.updateControl(start);
  }

  private windowStart(): number {
    const L = this.term.lines;
    const hasCur = this.term.curLen > 0 ? 1 : 0;
    if (this.maxLines === Infinity) return 0;
    const minStart = Math.max(0, L.length - Math.max(1, this.maxLines - hasCur));
    let budget = this.maxChars - Math.min(this.term.curLen, LINE_CAP);
    let start = L.length;
    while (start > minStart) {
      const len = Math.min(lineLength(L.get(start - 1)), LINE_CAP) + 1;
      if (len > budget && start < L.length) break;
      budget -= len;
      start--;
    }
    return start;
  }

  private updateControl(hidden: number): void {
    if (hidden <= 0) {
      this.control?.remove();
      this.control = null;
      return;
    }
    if (!this.control) {
      this.controlText = document.createElement("span");
      const btn = (label: string, aria: string, fn: () => void) => {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "q-linkbtn";
        b.textContent = label;
        b.setAttribute("aria-label", aria);
        b.addEventListener("click", fn);
        return b;
      };
      this.control = document.createElement("div");
      this.control.className = "q-hidden-lines";
      this.control.setAttribute("data-testid", "output-hidden-lines");
      this.control.append(
        this.controlText,
        btn("show more", "Show more output lines", () => {
          this.maxLines += DEFAULT_MAX_LINES;
          this.maxChars += DEFAULT_MAX_CHARS;
          this.rebuild();
        }),
        btn("show all", "Show all output lines", () => {
          this.maxLines = Infinity;
          this.maxChars = Infinity;
          this.rebuild();
        }),
        btn("download", "Download the whole output as text", () => this.download()),
      );
      this.root.prepend(this.control);
    }
    this.controlText!.textContent = `${hidden.toLocaleString()} earlier line${hidden === 1 ? "" : "s"} hidden — `;
  }

  private rebuild(): void {
    this.first = this.end = Number.MAX_SAFE_INTEGER; // forces a full redraw
    this.flush();
  }

  private download(): void {
    const blob = new Blob([this.term.text()], { type: "text/plain;charset=utf-8" });
    const href = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = href;
    a.download = this.downloadName;
    a.style.display = "none";
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 30000);
  }
}

/** renderLine makes the DOM for one line; text only through text nodes. */
export function renderLine(line: Line, newline: boolean): HTMLElement {
  const span = document.createElement("span");
  let left = LINE_CAP;
  let total = 0;
  for (const seg of line) total += seg.text.length;
  for (const seg of line) {
    if (left <= 0) break;
    let t = seg.text;
    if (t.length > left) t = t.slice(0, left);
    left -= t.length;
    if (!seg.style) {
      span.append(t);
      continue;
    }
    const s = document.createElement("span");
    const cls = styleClasses(seg.style);
    if (cls.length) s.className = cls.join(" ");
    const col = styleColors(seg.style);
    if (col.color) {
      // Each theme's variant, made readable on the background it sits on.
      const bg = seg.style.inverse ? seg.style.fg : seg.style.bg;
      const themed = themedColor(col.color, bg);
      s.classList.add("q-ansi-fg-x");
      s.style.setProperty("--q-fg-light", themed.light);
      s.style.setProperty("--q-fg-dark", themed.dark);
    }
    if (col.background) s.style.backgroundColor = col.background;
    s.textContent = t;
    span.append(s);
  }
  if (total > LINE_CAP) {
    const more = document.createElement("span");
    more.className = "q-trunc";
    more.textContent = ` … [${(total - LINE_CAP).toLocaleString()} more characters on this line]`;
    span.append(more);
  }
  if (newline) span.append("\n");
  return span;
}
