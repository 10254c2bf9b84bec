// Headings of markdown cells, for the table of contents (toc.ts): which
// lines of a cell's source are headings (ATX "# …", setext underlines and
// one-line HTML <h1>–<h6>, never inside fenced code), their plain text, and
// outline numbers (1, 1.1, 1.2, 2 …). Pure: no DOM, so Node's test runner
// runs it.

export interface Heading {
  /** level is 1 for "#" or <h1>, … 6 for "######". */
  level: number;
  /** text is the heading as plain text (inline markup dropped). */
  text: string;
}

const fenceOpen = /^ {0,3}(`{3,}|~{3,})/;
const atx = /^ {0,3}(#{1,6})(?=[ \t]|$)(.*)$/;
const setext1 = /^ {0,3}=+[ \t]*$/;
const setext2 = /^ {0,3}-+[ \t]*$/;
const htmlHeading = /<h([1-6])(?:\s[^>]*)?>(.*?)<\/h\1\s*>/gi;
// Lines that cannot be (part of) a setext heading's paragraph here.
const thematicBreak = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const notParagraph = /^ {0,3}(?:[-*+][ \t]|\d{1,9}[.)][ \t]|>|\||<)|^(?: {4}|\t)/;

/** headingsOf is the headings of one markdown source, in order. */
export function headingsOf(source: string): Heading[] {
  const out: Heading[] = [];
  let fence = "";
  let para: string[] = [];
  for (const line of source.split(/\r?\n/)) {
    if (fence) {
      const close = line.match(fenceOpen);
      if (close && close[1][0] === fence[0] && close[1].length >= fence.length && line.trim() === close[1]) fence = "";
      continue;
    }
    const open = line.match(fenceOpen);
    if (open && !(open[1][0] === "`" && line.slice(line.indexOf("`") + open[1].length).includes("`"))) {
      fence = open[1];
      para = [];
      continue;
    }
    if (line.trim() === "") {
      para = [];
      continue;
    }
    if (/^(?: {4}|\t)/.test(line) && para.length === 0) continue; // indented code
    const m = line.match(atx);
    if (m) {
      out.push({ level: m[1].length, text: plainText(m[2].trim().replace(/(?:^|[ \t]+)#+[ \t]*$/, "")) });
      para = [];
      continue;
    }
    if (para.length > 0 && (setext1.test(line) || setext2.test(line))) {
      out.push({ level: setext1.test(line) ? 1 : 2, text: plainText(para.join(" ").trim()) });
      para = [];
      continue;
    }
    if (thematicBreak.test(line)) {
      para = [];
      continue;
    }
    let html = false;
    for (const hm of line.matchAll(htmlHeading)) {
      out.push({ level: Number(hm[1]), text: plainText(hm[2]) });
      html = true;
    }
    if (html || notParagraph.test(line)) para = [];
    else para.push(line);
  }
  return out.filter((hd) => hd.text !== "");
}

const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", nbsp: " " };

/** plainText drops a heading's inline markup: tags, links and images
 *  (their text stays), code ticks, emphasis and backslash escapes. */
export function plainText(s: string): string {
  // Escaped punctuation hides in the private use area while markup goes.
  return s
    .replace(/\\([!-/:-@[-`{-~])/g, (_, c: string) => String.fromCharCode(0xe000 + c.charCodeAt(0)))
    .replace(/<[^>]*>/g, "")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/`+([^`]*)`+/g, "$1")
    .replace(/(\*\*|__)(?=\S)(.+?)(?<=\S)\1/g, "$2")
    .replace(/(^|[^\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])/g, "$1$2")
    .replace(/(^|[^\w])_(?=\S)(.+?)(?<=\S)_(?!\w)/g, "$1$2")
    .replace(/~~(.+?)~~/g, "$1")
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_, e: string) => entities[e])
    .replace(/[\ue000-\ue07f]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xe000))
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * outline gives headings of the given levels, in document order, their
 * depth in the outline and their number. A heading sits below the nearest
 * earlier heading of a smaller level, so a skipped level ("#" then "###")
 * still nests one step and numbers 1, 1.1, never 1.0.1.
 */
export function outline(levels: readonly number[]): { depth: number; number: string }[] {
  const stack: number[] = [];
  const counters: number[] = [];
  return levels.map((level) => {
    while (stack.length > 0 && stack[stack.length - 1] >= level) stack.pop();
    stack.push(level);
    const depth = stack.length - 1;
    counters.length = depth + 1;
    counters[depth] = (counters[depth] ?? 0) + 1;
    for (let i = 0; i < depth; i++) counters[i] ??= 1;
    return { depth, number: counters.join(".") };
  });
}
