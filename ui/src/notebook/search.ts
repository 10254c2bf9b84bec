// Finding and replacing text in the notebook's model (find.ts shows it):
// the query as a RegExp (literal or regex, case, whole word), the matches
// in one text, replacing them, and the searchable text of an output. Pure:
// no DOM, so Node's test runner runs it.
import { stripAnsi } from "../outputs/ansi";
import type { Output } from "../outputs/index";

export interface FindOptions {
  query: string;
  regex: boolean;
  caseSensitive: boolean;
  wholeWord: boolean;
}

/** Compiled is a query ready to search (re), or why it cannot be (error). */
export type Compiled = { re: RegExp; error?: undefined } | { re?: undefined; error: string };

/** Span is one match: text.slice(from, to). */
export interface Span {
  from: number;
  to: number;
}

/** compile turns the options into a global RegExp; null for an empty query. */
export function compile(o: FindOptions): Compiled | null {
  if (o.query === "") return null;
  let src = o.regex ? o.query : o.query.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  if (o.wholeWord) src = `(?<!\\w)(?:${src})(?!\\w)`;
  try {
    return { re: new RegExp(src, "gm" + (o.caseSensitive ? "" : "i")) };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    // "Invalid regular expression: /…/gmi: Unterminated group" → its reason
    return { error: "Invalid regular expression: " + (msg.split(": ").pop() || msg) };
  }
}

/** findAll is re's matches in text, at most limit; empty matches are skipped. */
export function findAll(text: string, re: RegExp, limit = Infinity): Span[] {
  const out: Span[] = [];
  re.lastIndex = 0;
  while (out.length < limit) {
    const m = re.exec(text);
    if (!m) break;
    if (m[0] === "") {
      re.lastIndex = m.index + 1;
      if (re.lastIndex > text.length) break;
      continue;
    }
    out.push({ from: m.index, to: m.index + m[0].length });
  }
  re.lastIndex = 0;
  return out;
}

/** expand is a regex replacement template filled in from m: $& the match,
 *  $1…$99 groups, $<name> named groups, $$ a dollar sign. */
export function expand(template: string, m: RegExpExecArray): string {
  return template.replace(/\$(\$|&|`|'|<([^>]*)>|(\d{1,2}))/g, (all, what: string, name?: string, num?: string) => {
    if (what === "$") return "$";
    if (what === "&") return m[0];
    if (what === "`") return m.input.slice(0, m.index);
    if (what === "'") return m.input.slice(m.index + m[0].length);
    if (name !== undefined) return m.groups?.[name] ?? "";
    const d = num!;
    if (d.length === 2 && Number(d) > 0 && Number(d) < m.length) return m[Number(d)] ?? "";
    const one = Number(d[0]);
    if (one > 0 && one < m.length) return (m[one] ?? "") + d.slice(1);
    return all;
  });
}

/** replacementAt is what the match of re at span in text becomes, or null
 *  when re no longer matches there exactly (the text changed). */
export function replacementAt(text: string, re: RegExp, span: Span, replacement: string, regex: boolean): string | null {
  re.lastIndex = span.from;
  const m = re.exec(text);
  re.lastIndex = 0;
  if (!m || m.index !== span.from || m.index + m[0].length !== span.to) return null;
  return regex ? expand(replacement, m) : replacement;
}

/** Edit replaces text.slice(from, to) by insert. */
export interface Edit extends Span {
  insert: string;
}

/** replaceAllEdits is the edits that replace every (non-empty) match of re in text. */
export function replaceAllEdits(text: string, re: RegExp, replacement: string, regex: boolean): Edit[] {
  const edits: Edit[] = [];
  for (const s of findAll(text, re)) {
    const insert = replacementAt(text, re, s, replacement, regex);
    if (insert !== null) edits.push({ ...s, insert });
  }
  return edits;
}

/** applyEdits applies non-overlapping edits in ascending order to text. */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  let out = "";
  let at = 0;
  for (const e of edits) {
    out += text.slice(at, e.from) + e.insert;
    at = e.to;
  }
  return out + text.slice(at);
}

function joined(v: unknown, sep = ""): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.filter((x) => typeof x === "string").join(sep);
  return "";
}

/** outputText is the text of an output that find searches: stream text,
 *  a traceback, or a result's text/plain (else text/markdown); ANSI
 *  escapes dropped. */
export function outputText(o: Output): string {
  const rec = o as Record<string, unknown>;
  let t = "";
  if (o.output_type === "stream") t = joined(rec.text);
  else if (o.output_type === "error") t = joined(rec.traceback, "\n");
  else if (o.output_type === "execute_result" || o.output_type === "display_data") {
    const data = (rec.data ?? {}) as Record<string, unknown>;
    t = joined(data["text/plain"]) || joined(data["text/markdown"]);
  }
  return stripAnsi(t);
}
