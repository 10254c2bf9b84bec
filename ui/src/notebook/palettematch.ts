// How the command palette ranks commands against what was typed: every
// word of the query must be found in "Menu: label" (case-insensitive),
// as a substring or else as letters in order (fuzzy). Substrings at the start
// of a word rank first, then other substrings, then fuzzy matches; ties keep
// the registry's order (menu order).
import type { NotebookCommand } from "./registry";

/** score rates how well one query word matches text: 3 word start, 2 substring, 1 letters in order, 0 no match. */
export function wordScore(word: string, text: string): number {
  const at = text.indexOf(word);
  if (at >= 0) {
    let i = at;
    while (i >= 0) {
      if (i === 0 || !/[a-z0-9]/.test(text[i - 1])) return 3;
      i = text.indexOf(word, i + 1);
    }
    return 2;
  }
  let j = 0;
  for (let i = 0; i < text.length && j < word.length; i++) if (text[i] === word[j]) j++;
  return j === word.length ? 1 : 0;
}

/** paletteText is what the palette searches for a command. */
export function paletteText(c: NotebookCommand): string {
  return `${c.menu}: ${c.label}`.toLowerCase();
}

/** filterCommands returns the commands matching query, best first; all of them for an empty query. */
export function filterCommands(cmds: readonly NotebookCommand[], query: string): NotebookCommand[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...cmds];
  const scored: { c: NotebookCommand; s: number; i: number }[] = [];
  cmds.forEach((c, i) => {
    const text = paletteText(c);
    let s = 0;
    for (const w of words) {
      const ws = wordScore(w, text);
      if (ws === 0) return;
      s += ws;
    }
    scored.push({ c, s, i });
  });
  scored.sort((a, b) => b.s - a.s || a.i - b.i);
  return scored.map((x) => x.c);
}
