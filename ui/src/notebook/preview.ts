// A plain-text preview of a notebook's first cells, shown as soon as its
// JSON has arrived while the heavy half of the view (CodeMirror, output
// renderers, markdown: view.ts) is still loading. It looks like the cells
// it stands for (same classes, source as text, text outputs as text) but is
// inert: no data-testid="cell", no editor; CellList.load replaces it.
import { h } from "../dom";
import { stripAnsi } from "../outputs/ansi";
import type { Output } from "../outputs/index";
import type { CellData } from "./model";
import { inputHidden, inputSummary, outputsHidden, outputsSummary } from "./cellmeta";

/** Cells previewed: about a screenful and more; the real list follows soon. */
const PREVIEW_CELLS = 40;
/** Characters of one output shown in the preview. */
const OUTPUT_CHARS = 2000;

/** outputText is an output's plain text (ANSI escapes dropped), if it has any. */
export function outputText(o: Output): string | null {
  const rec = o as Record<string, unknown>;
  const join = (v: unknown, sep = "") =>
    Array.isArray(v) ? v.filter((x) => typeof x === "string").join(sep) : typeof v === "string" ? v : null;
  let t: string | null = null;
  if (o.output_type === "stream") t = join(rec.text);
  else if (o.output_type === "error") t = join(rec.traceback, "\n");
  else if (o.output_type === "execute_result" || o.output_type === "display_data") {
    const data = rec.data;
    t = data && typeof data === "object" ? join((data as Record<string, unknown>)["text/plain"]) : null;
  }
  if (t === null) return null;
  t = stripAnsi(t);
  return t.length > OUTPUT_CHARS ? t.slice(0, OUTPUT_CHARS) + " …" : t;
}

/** renderPreview fills el with the preview of cells. */
export function renderPreview(el: HTMLElement, cells: readonly CellData[]): void {
  const frag = document.createDocumentFragment();
  for (const d of cells.slice(0, PREVIEW_CELLS)) {
    const prompt = d.cell_type === "code" ? `[${d.execution_count ?? " "}]:` : "";
    // Collapsed parts show collapsed here too, so nothing jumps when the real cells come.
    const input = inputHidden(d.metadata)
      ? h("div", { class: "nb-placeholder", text: inputSummary(d.source) })
      : d.cell_type === "markdown"
        ? h("div", { class: "nb-md", text: d.source })
        : h("pre", { class: "nb-static", text: d.source.endsWith("\n") ? d.source + " " : d.source || " " });
    const cell = h(
      "div",
      { class: "nb-cell nb-preview", "data-cell-type": d.cell_type, "aria-busy": "true" },
      h("div", { class: "nb-cell-row" }, h("div", { class: "nb-prompt", text: prompt }), h("div", { class: "nb-input" }, input)),
    );
    const texts = d.cell_type === "code" ? d.outputs.map(outputText).filter((t): t is string => t !== null && t !== "") : [];
    if (d.cell_type === "code" && d.outputs.length && outputsHidden(d.metadata)) {
      const out = h("div", { class: "nb-output" }, h("div", { class: "nb-placeholder", text: outputsSummary(d.outputs.length) }));
      cell.append(h("div", { class: "nb-output-row" }, h("div", { class: "nb-prompt nb-out-prompt" }), out));
    } else if (texts.length) {
      const out = h("div", { class: "nb-output" });
      for (const t of texts) out.append(h("pre", { class: "q-text nb-preview-output", text: t }));
      cell.append(h("div", { class: "nb-output-row" }, h("div", { class: "nb-prompt nb-out-prompt" }), out));
    }
    frag.append(cell);
  }
  el.replaceChildren(frag);
}
