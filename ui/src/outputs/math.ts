// Math in markdown: pull $…$, $$…$$, \(…\), \[…\] and \begin{env}…\end{env}
// out of the source before marked sees it (marked would eat the backslashes
// and underscores), leaving placeholders; put the rendered math back after.
// Code spans and fenced code blocks are left alone; "\$" stays a literal
// dollar. Pure: no DOM.

export interface MathItem {
  tex: string;
  display: boolean;
  /** raw is the source text with its delimiters (shown if rendering fails). */
  raw: string;
}

export interface Extracted {
  text: string;
  math: MathItem[];
}

const PH = (i: number) => `@@QMATH${i}@@`;
const PH_RE = /@@QMATH(\d+)@@/g;

/** extractMath replaces math with placeholders. */
export function extractMath(source: string): Extracted {
  const math: MathItem[] = [];
  const out: string[] = [];
  const lines = source.split(/(?<=\n)/);
  let fence: { ch: string; len: number } | null = null;
  let buf = "";
  const flush = () => {
    if (buf) out.push(scanInline(buf, math));
    buf = "";
  };
  for (const line of lines) {
    if (fence) {
      out.push(line);
      const m = line.match(/^ {0,3}(`{3,}|~{3,})\s*$/);
      if (m && m[1][0] === fence.ch && m[1].length >= fence.len) fence = null;
      continue;
    }
    const m = line.match(/^ {0,3}(`{3,}|~{3,})/);
    if (m && !(m[1][0] === "`" && line.slice(line.indexOf(m[1]) + m[1].length).includes("`"))) {
      flush();
      fence = { ch: m[1][0], len: m[1].length };
      out.push(line);
      continue;
    }
    buf += line;
  }
  flush();
  return { text: out.join(""), math };
}

function scanInline(s: string, math: MathItem[]): string {
  let out = "";
  let i = 0;
  const n = s.length;
  const add = (tex: string, display: boolean, raw: string) => {
    math.push({ tex, display, raw });
    out += PH(math.length - 1);
  };
  while (i < n) {
    const c = s[i];
    if (c === "\\") {
      const d = s[i + 1];
      if (d === "(" || d === "[") {
        const close = d === "(" ? "\\)" : "\\]";
        const j = s.indexOf(close, i + 2);
        if (j >= 0) {
          add(s.slice(i + 2, j), d === "[", s.slice(i, j + 2));
          i = j + 2;
          continue;
        }
      } else if (d === "b") {
        const m = /^\\begin\{([a-zA-Z]+\*?)\}/.exec(s.slice(i, i + 40));
        if (m) {
          const end = `\\end{${m[1]}}`;
          const j = s.indexOf(end, i + m[0].length);
          if (j >= 0) {
            const raw = s.slice(i, j + end.length);
            add(raw, true, raw);
            i = j + end.length;
            continue;
          }
        }
      }
      // any other escape (including "\$") is kept for marked
      out += s.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c === "`") {
      let k = i;
      while (k < n && s[k] === "`") k++;
      const run = s.slice(i, k);
      // the closing run must have exactly the same length
      let j = k;
      let found = -1;
      while ((j = s.indexOf(run, j)) >= 0) {
        if (s[j + run.length] !== "`" && s[j - 1] !== "`") {
          found = j;
          break;
        }
        while (s[j] === "`") j++;
      }
      if (found >= 0) {
        out += s.slice(i, found + run.length);
        i = found + run.length;
      } else {
        out += run;
        i = k;
      }
      continue;
    }
    if (c === "$") {
      const display = s[i + 1] === "$";
      const open = display ? 2 : 1;
      const j = findClose(s, i + open, display);
      if (j >= 0) {
        const tex = s.slice(i + open, j);
        add(tex, display, s.slice(i, j + open));
        i = j + open;
        continue;
      }
      out += s.slice(i, i + open);
      i += open;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** findClose finds the closing $ or $$ from start, skipping "\$"; inline
 *  math cannot cross a blank line or be empty. */
function findClose(s: string, start: number, display: boolean): number {
  const n = s.length;
  for (let j = start; j < n; j++) {
    const c = s[j];
    if (c === "\\") {
      j++;
      continue;
    }
    if (c === "\n" && !display && /^\n[ \t]*\n/.test(s.slice(j, j + 40))) return -1;
    if (c === "$") {
      if (display) {
        if (s[j + 1] === "$") return j > start ? j : -1;
        continue;
      }
      return j > start && s.slice(start, j).trim() !== "" ? j : -1;
    }
  }
  return -1;
}

/** restoreMath puts rendered math back in place of the placeholders. */
export function restoreMath(html: string, math: MathItem[], render: (m: MathItem) => string): string {
  return html.replace(PH_RE, (whole, i: string) => {
    const m = math[Number(i)];
    return m ? render(m) : whole;
  });
}

/** escapeHtml escapes text for an HTML string (used for math shown as source). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** slug makes a heading's anchor the way Jupyter does (spaces become "-"). */
export function slug(text: string): string {
  return text.trim().replace(/\s+/g, "-");
}
