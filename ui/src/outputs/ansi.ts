// A small, incremental terminal emulator for notebook text: it turns raw
// stream text (with \r, \b and ANSI escapes) into lines of styled segments.
// Pure: no DOM, so it runs under Node's test runner too.
//
// Semantics (as Jupyter's front ends apply them):
// - "\n" ends a line; "\r\n" is a newline;
// - "\r" returns to the line start: the next printed text replaces the line
//   (a trailing "\r" alone keeps what was there, so a progress bar that ends
//   with "\r" still shows its last state);
// - "\b" deletes the previous character of the current line;
// - SGR escapes (ESC [ … m) set colours and attributes; every other escape
//   sequence (cursor movement, erase, OSC titles/links, charset selection)
//   is dropped, as are other C0 control characters except "\t".

/** Style is immutable: segments share the object, a change makes a new one. */
export interface Style {
  /** number 0–15: palette index (a CSS class); string: a CSS colour (256-colour or truecolor). */
  readonly fg: number | string | null;
  readonly bg: number | string | null;
  readonly bold: boolean;
  readonly dim: boolean;
  readonly italic: boolean;
  readonly underline: boolean;
  readonly inverse: boolean;
  readonly strike: boolean;
}

export interface Segment {
  text: string;
  /** null: the default style. */
  style: Style | null;
}

/** A line is its segments; most lines have one. */
export type Line = Segment[];

const PLAIN: Style = Object.freeze({
  fg: null,
  bg: null,
  bold: false,
  dim: false,
  italic: false,
  underline: false,
  inverse: false,
  strike: false,
});

function isPlain(s: Style): boolean {
  return (
    s.fg === null && s.bg === null && !s.bold && !s.dim && !s.italic && !s.underline && !s.inverse && !s.strike
  );
}

/** color256 is the CSS colour of xterm's 256-colour palette entry n (16–255). */
export function color256(n: number): string {
  if (n < 16) return "";
  if (n < 232) {
    const i = n - 16;
    const lv = [0, 95, 135, 175, 215, 255];
    return `rgb(${lv[Math.floor(i / 36)]}, ${lv[Math.floor(i / 6) % 6]}, ${lv[i % 6]})`;
  }
  const g = 8 + (n - 232) * 10;
  return `rgb(${g}, ${g}, ${g})`;
}

/** applySGR returns the style after the SGR parameters (ESC [ params m). */
export function applySGR(style: Style, params: string): Style {
  const ps = params === "" ? [0] : params.split(/[;:]/).map((p) => (p === "" ? 0 : Number(p)));
  const s = { ...style } as { -readonly [K in keyof Style]: Style[K] };
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i];
    if (!Number.isFinite(p)) continue;
    if (p === 0) Object.assign(s, PLAIN);
    else if (p === 1) s.bold = true;
    else if (p === 2) s.dim = true;
    else if (p === 3) s.italic = true;
    else if (p === 4) s.underline = true;
    else if (p === 7) s.inverse = true;
    else if (p === 9) s.strike = true;
    else if (p === 21 || p === 22) {
      s.bold = false;
      s.dim = false;
    } else if (p === 23) s.italic = false;
    else if (p === 24) s.underline = false;
    else if (p === 27) s.inverse = false;
    else if (p === 29) s.strike = false;
    else if (p >= 30 && p <= 37) s.fg = p - 30;
    else if (p === 39) s.fg = null;
    else if (p >= 40 && p <= 47) s.bg = p - 40;
    else if (p === 49) s.bg = null;
    else if (p >= 90 && p <= 97) s.fg = p - 90 + 8;
    else if (p >= 100 && p <= 107) s.bg = p - 100 + 8;
    else if (p === 38 || p === 48) {
      let c: number | string | null = null;
      if (ps[i + 1] === 5 && i + 2 < ps.length) {
        const n = ps[i + 2];
        if (n >= 0 && n <= 255) c = n < 16 ? n : color256(n);
        i += 2;
      } else if (ps[i + 1] === 2 && i + 4 < ps.length) {
        const [r, g, b] = [ps[i + 2], ps[i + 3], ps[i + 4]].map((v) => Math.max(0, Math.min(255, v | 0)));
        c = `rgb(${r}, ${g}, ${b})`;
        i += 4;
      } else {
        break; // malformed: ignore the rest
      }
      if (c !== null) {
        if (p === 38) s.fg = c;
        else s.bg = c;
      }
    }
    // everything else (blink, fonts, overline…) is ignored
  }
  return isPlain(s) ? PLAIN : Object.freeze(s);
}

// Control characters the terminal acts on or drops: \b \n \r ESC, other C0
// (but \t), DEL and the 8-bit CSI.
const SPECIAL = /[\x00-\x08\x0a-\x1f\x7f\x9b]/g;
const CSI = /([0-?]*)([ -/]*)([@-~])/y;
/** HARD: anything but printable text, "\t" and "\n". */
const HARD = /[\x00-\x08\x0b-\x1f\x7f\x9b]/;

/** Bytes of an unfinished escape sequence kept for the next chunk, at most. */
const MAX_PENDING_ESCAPE = 4096;
/** A segment grows by appends until this long, then a new one starts. */
const SEG_CHUNK = 8192;

interface Multi {
  /** several plain lines of one style, joined by "\n" (split only when read) */
  multi: string;
  count: number;
  style: Style | null;
}

/** LineStore holds completed lines. A big chunk of plain text is kept as
 *  one string and split only when its lines are read (the visible tail), so
 *  a 200 000-line print does not become 200 000 retained objects. */
export class LineStore {
  private blocks: (Line | Multi)[] = [];
  private starts: number[] = [];
  length = 0;
  private cacheBlock = -1;
  private cacheLines: string[] = [];

  push(line: Line): void {
    this.blocks.push(line);
    this.starts.push(this.length);
    this.length++;
  }

  pushMulti(multi: string, count: number, style: Style | null): void {
    this.blocks.push({ multi, count, style });
    this.starts.push(this.length);
    this.length += count;
  }

  get(i: number): Line {
    const st = this.starts;
    let lo = 0;
    let hi = st.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (st[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    const b = this.blocks[lo];
    if (Array.isArray(b)) return b;
    if (this.cacheBlock !== lo) {
      this.cacheLines = b.multi.split("\n");
      this.cacheBlock = lo;
    }
    const t = this.cacheLines[i - st[lo]] ?? "";
    return t === "" ? [] : [{ text: t, style: b.style }];
  }

  /** texts yields every line's plain text, in order. */
  *texts(): Generator<string> {
    for (const b of this.blocks) {
      if (Array.isArray(b)) yield lineText(b);
      else yield b.multi;
    }
  }
}

export class Terminal {
  /** lines are the completed lines (ended by "\n"); they never change again. */
  readonly lines = new LineStore();
  /** cur is the line being written (no "\n" yet). */
  cur: Line = [];
  /** curLen is the number of characters on cur. */
  curLen = 0;
  /** version counts writes that changed anything visible. */
  version = 0;
  private style: Style = PLAIN;
  private crPending = false;
  private escTail = "";

  /** write feeds raw text. */
  write(text: string): void {
    if (this.escTail) {
      text = this.escTail + text;
      this.escTail = "";
    }
    if (text === "") return;
    this.version++;
    if (!HARD.test(text)) {
      // fast path: only printable text and newlines
      const f = text.indexOf("\n");
      if (f < 0) {
        this.print(text);
        return;
      }
      if (f > 0) this.print(text.slice(0, f));
      this.newline();
      const l = text.lastIndexOf("\n");
      if (l > f) {
        let count = 1;
        for (let k = text.indexOf("\n", f + 1); k >= 0 && k < l; k = text.indexOf("\n", k + 1)) count++;
        this.lines.pushMulti(text.slice(f + 1, l), count, this.style === PLAIN ? null : this.style);
      }
      if (l + 1 < text.length) this.print(text.slice(l + 1));
      return;
    }
    SPECIAL.lastIndex = 0;
    let pos = 0;
    const n = text.length;
    while (pos < n) {
      SPECIAL.lastIndex = pos;
      const m = SPECIAL.exec(text);
      const at = m ? m.index : n;
      if (at > pos) this.print(text.slice(pos, at));
      if (!m) break;
      const c = text.charCodeAt(at);
      pos = at + 1;
      if (c === 0x0a) {
        this.newline();
      } else if (c === 0x0d) {
        this.crPending = true;
      } else if (c === 0x08) {
        this.backspace();
      } else if (c === 0x1b) {
        const end = this.escape(text, at);
        if (end < 0) {
          const rest = text.slice(at);
          if (rest.length <= MAX_PENDING_ESCAPE) this.escTail = rest;
          return;
        }
        pos = end;
      } else if (c === 0x9b) {
        // 8-bit CSI: parameters and a final byte
        const re = CSI;
        re.lastIndex = pos;
        const mm = re.exec(text);
        if (mm) pos = re.lastIndex;
      }
      // other control characters are dropped
    }
  }

  /** escape handles ESC at text[at]; returns the index after the sequence, or -1 if it is unfinished. */
  private escape(text: string, at: number): number {
    const n = text.length;
    if (at + 1 >= n) return -1;
    const k = text[at + 1];
    if (k === "[") {
      const re = CSI;
      re.lastIndex = at + 2;
      const m = re.exec(text);
      if (!m) {
        // unfinished if only parameter bytes follow; otherwise malformed: drop ESC [
        return /^[0-?]*[ -/]*$/.test(text.slice(at + 2)) ? -1 : at + 2;
      }
      if (m[3] === "m" && m[2] === "" && !/[<=>?]/.test(m[1])) this.style = applySGR(this.style, m[1]);
      return re.lastIndex;
    }
    if (k === "]" || k === "P" || k === "X" || k === "^" || k === "_") {
      // OSC / DCS / SOS / PM / APC: up to BEL or ST (ESC \)
      for (let i = at + 2; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c === 0x07) return i + 1;
        if (c === 0x1b) {
          if (i + 1 >= n) return -1;
          if (text[i + 1] === "\\") return i + 2;
        }
      }
      return -1;
    }
    if (k === "(" || k === ")" || k === "*" || k === "+" || k === "#" || k === "%") {
      return at + 2 < n ? at + 3 : -1; // charset designation etc.
    }
    return at + 2; // two-character escape (ESC 7, ESC M, ESC =, …)
  }

  private print(s: string): void {
    if (this.crPending) {
      this.crPending = false;
      this.cur = [];
      this.curLen = 0;
    }
    const style = this.style === PLAIN ? null : this.style;
    const last = this.cur[this.cur.length - 1];
    if (last && last.style === style && last.text.length < SEG_CHUNK) last.text += s;
    else this.cur.push({ text: s, style });
    this.curLen += s.length;
  }

  private newline(): void {
    this.crPending = false;
    this.lines.push(this.cur);
    this.cur = [];
    this.curLen = 0;
  }

  private backspace(): void {
    if (this.crPending) {
      this.crPending = false;
      this.cur = [];
      this.curLen = 0;
      return;
    }
    while (this.cur.length) {
      const last = this.cur[this.cur.length - 1];
      if (last.text.length === 0) {
        this.cur.pop();
        continue;
      }
      // remove one code point (keep surrogate pairs together)
      let cut = 1;
      const t = last.text;
      if (t.length >= 2) {
        const lo = t.charCodeAt(t.length - 1);
        const hi = t.charCodeAt(t.length - 2);
        if (lo >= 0xdc00 && lo <= 0xdfff && hi >= 0xd800 && hi <= 0xdbff) cut = 2;
      }
      last.text = t.slice(0, t.length - cut);
      this.curLen -= cut;
      if (last.text === "") this.cur.pop();
      return;
    }
  }

  /** lineCount is the number of lines shown: completed ones plus a non-empty current one. */
  get lineCount(): number {
    return this.lines.length + (this.curLen > 0 ? 1 : 0);
  }

  /** text is the plain text shown (styles dropped), e.g. for a download. */
  text(): string {
    const parts: string[] = [];
    for (const t of this.lines.texts()) parts.push(t, "\n");
    parts.push(lineText(this.cur));
    return parts.join("");
  }
}

export function lineText(l: Line): string {
  if (l.length === 1) return l[0].text;
  let s = "";
  for (const seg of l) s += seg.text;
  return s;
}

export function lineLength(l: Line): number {
  let n = 0;
  for (const seg of l) n += seg.text.length;
  return n;
}

/** toLines runs text through a fresh terminal and returns every line shown. */
export function toLines(text: string): Line[] {
  const t = new Terminal();
  t.write(text);
  const out: Line[] = [];
  for (let i = 0; i < t.lines.length; i++) out.push(t.lines.get(i));
  if (t.curLen > 0) out.push(t.cur);
  return out;
}

/** stripAnsi returns the text as it would show, without styles. */
export function stripAnsi(text: string): string {
  const t = new Terminal();
  t.write(text);
  return t.text();
}

/** styleClasses are the CSS classes of a style (palette colours, attributes). */
export function styleClasses(s: Style): string[] {
  const c: string[] = [];
  let fg = s.fg;
  let bg = s.bg;
  if (s.inverse) {
    [fg, bg] = [bg, fg];
    if (fg === null) c.push("q-ansi-fg-inv");
    if (bg === null) c.push("q-ansi-bg-inv");
  }
  if (typeof fg === "number") c.push(`q-ansi-fg-${fg}`);
  if (typeof bg === "number") c.push(`q-ansi-bg-${bg}`);
  if (s.bold) c.push("q-ansi-bold");
  if (s.dim) c.push("q-ansi-dim");
  if (s.italic) c.push("q-ansi-italic");
  if (s.underline) c.push("q-ansi-underline");
  if (s.strike) c.push("q-ansi-strike");
  return c;
}

/** styleColors are the CSSOM colours of a style (256-colour and truecolor only). */
export function styleColors(s: Style): { color?: string; background?: string } {
  let fg = s.fg;
  let bg = s.bg;
  if (s.inverse) [fg, bg] = [bg, fg];
  const out: { color?: string; background?: string } = {};
  if (typeof fg === "string") out.color = fg;
  if (typeof bg === "string") out.background = bg;
  return out;
}
