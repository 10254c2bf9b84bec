// Pure helpers for nbformat outputs: multiline strings, stream merging and
// the text a stream is saved with. No DOM.

/** joinText joins an nbformat "multiline string" (a string or an array of strings). */
export function joinText(v: unknown): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.map((x) => (typeof x === "string" ? x : String(x))).join("");
  if (v === null || v === undefined) return "";
  return String(v);
}

/** compactCR drops text a carriage return overwrote, as Jupyter does
 *  before it stores a stream: everything from a line's start up to a "\r"
 *  that is followed by more text on that line. "\r\n" stays a newline and
 *  a trailing "\r" keeps its line. ANSI escapes stay where they are. */
export function compactCR(text: string): string {
  if (text.indexOf("\r") < 0) return text;
  return text.replace(/[^\n]*\r+(?=[^\r\n])/g, "");
}

export interface StreamLike {
  output_type: string;
  name?: unknown;
  text?: unknown;
}

/** canMerge tells whether b continues stream a (same stream name). */
export function canMerge(a: StreamLike | undefined, b: StreamLike): boolean {
  return !!a && a.output_type === "stream" && b.output_type === "stream" && a.name === b.name;
}

/** mergeStreams merges consecutive outputs of the same stream into one, joining their text. */
export function mergeStreams<T extends StreamLike>(outputs: T[]): T[] {
  const out: T[] = [];
  for (const o of outputs) {
    const last = out[out.length - 1];
    if (canMerge(last, o)) {
      out[out.length - 1] = { ...last, text: joinText(last.text) + joinText(o.text) };
    } else {
      out.push(o);
    }
  }
  return out;
}
