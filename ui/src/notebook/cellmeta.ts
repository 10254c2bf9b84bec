// What a cell's metadata says about how it is shown, read and written the
// way Jupyter's front ends do, so a notebook looks the same in each:
//
// - a hidden input is metadata.jupyter.source_hidden: true;
// - hidden outputs are metadata.jupyter.outputs_hidden: true (JupyterLab)
//   and metadata.collapsed: true (Notebook 6); either hides them, and both
//   are written;
// - scrolled outputs are metadata.scrolled: true (Notebook 6); false,
//   "auto" or no key leave the outputs at their full height.
//
// A state switched off is removed, never written as false, and a
// "jupyter" object left empty goes too.
import type { Json } from "./model";

function jupyterOf(md: Json): Json | undefined {
  const j = md.jupyter;
  return typeof j === "object" && j !== null && !Array.isArray(j) ? (j as Json) : undefined;
}

/** inputHidden: the cell's source is collapsed. */
export function inputHidden(md: Json): boolean {
  return jupyterOf(md)?.source_hidden === true;
}

/** outputsHidden: the cell's outputs are collapsed (JupyterLab's key or Notebook 6's). */
export function outputsHidden(md: Json): boolean {
  return md.collapsed === true || jupyterOf(md)?.outputs_hidden === true;
}

/** outputsScrolled: the outputs show in a scrolled box. */
export function outputsScrolled(md: Json): boolean {
  return md.scrolled === true;
}

function setJupyterFlag(md: Json, key: string, on: boolean): void {
  const j = jupyterOf(md);
  if (on) {
    md.jupyter = { ...(j ?? {}), [key]: true };
    return;
  }
  if (!j || !(key in j)) return;
  const rest = { ...j };
  delete rest[key];
  if (Object.keys(rest).length === 0) delete md.jupyter;
  else md.jupyter = rest;
}

/** setInputHidden writes the input's state; it reports whether md changed. */
export function setInputHidden(md: Json, hidden: boolean): boolean {
  const before = JSON.stringify(md.jupyter);
  setJupyterFlag(md, "source_hidden", hidden);
  return JSON.stringify(md.jupyter) !== before;
}

/** setOutputsHidden writes the outputs' state in both forms; it reports whether md changed. */
export function setOutputsHidden(md: Json, hidden: boolean): boolean {
  const before = JSON.stringify([md.jupyter, md.collapsed]);
  setJupyterFlag(md, "outputs_hidden", hidden);
  if (hidden) md.collapsed = true;
  else delete md.collapsed;
  return JSON.stringify([md.jupyter, md.collapsed]) !== before;
}

/** setOutputsScrolled writes scrolled: true, or removes the key; it reports whether md changed. */
export function setOutputsScrolled(md: Json, scrolled: boolean): boolean {
  const before = md.scrolled;
  if (scrolled) md.scrolled = true;
  else delete md.scrolled;
  return md.scrolled !== before;
}

/** inputSummary is what a collapsed input shows: its first non-blank line, shortened. */
export function inputSummary(source: string, max = 80): string {
  const line = source.split("\n").find((l) => l.trim() !== "")?.trim() ?? "";
  if (!line) return "…";
  const more = source.trim().includes("\n") || line.length > max;
  return (line.length > max ? line.slice(0, max).trimEnd() : line) + (more ? " …" : "");
}

/** outputsSummary is what collapsed outputs show. */
export function outputsSummary(n: number): string {
  return n === 1 ? "1 output hidden" : `${n} outputs hidden`;
}

/**
 * headingSource makes source a markdown heading of level (1–6): an
 * existing heading prefix ("#", "## ") on the first line is replaced, else
 * one is put in front. "#tag" is not a heading (no space), so it is kept.
 */
export function headingSource(source: string, level: number): string {
  const n = Math.max(1, Math.min(6, Math.round(level)));
  const prefix = "#".repeat(n) + " ";
  const m = /^#{1,6}(?=[ \t]|$|\n)[ \t]*/.exec(source);
  return prefix + (m ? source.slice(m[0].length) : source);
}
