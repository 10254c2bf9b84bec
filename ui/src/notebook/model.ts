// The notebook document: nbformat v4 JSON kept as close to the file as
// possible. Everything the editor does not touch (notebook and cell
// metadata, ids, attachments, unknown keys) is carried through untouched.
import type { Output } from "../outputs/index";

export type CellType = "code" | "markdown" | "raw";

export type Json = Record<string, unknown>;

/** CellData is one cell: the known fields plus every other key as read. */
export interface CellData {
  cell_type: CellType;
  /** id is absent in notebooks older than nbformat 4.5. */
  id?: string;
  source: string;
  metadata: Json;
  /** code cells only */
  execution_count: number | null;
  /** code cells only: the outputs as loaded (the OutputArea owns them once created). */
  outputs: Output[];
  /** markdown and raw cells */
  attachments?: Json;
  /** unknown keys of the cell, kept for writing back */
  extra: Json;
}

export interface NotebookData {
  metadata: Json;
  nbformat: number;
  nbformat_minor: number;
  /** unknown top-level keys (not valid nbformat, but never dropped) */
  extra: Json;
  cells: CellData[];
}

/** joinLines turns an nbformat multiline string (string or array of lines) into a string. */
export function joinLines(v: unknown): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.map((x) => (typeof x === "string" ? x : String(x))).join("");
  return v === null || v === undefined ? "" : String(v);
}

const idChars = "abcdefghijklmnopqrstuvwxyz0123456789";

/** randomId is n random characters from [a-z0-9] (works outside secure contexts). */
export function randomId(n = 12): string {
  const bytes = new Uint8Array(n);
  crypto.getRandomValues(bytes);
  let s = "";
  for (const b of bytes) s += idChars[b % idChars.length];
  return s;
}

/** randomHex is 2n random hex digits. */
export function randomHex(n = 16): string {
  const bytes = new Uint8Array(n);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function isObj(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function normaliseOutput(o: unknown): Output {
  if (!isObj(o)) return { output_type: "stream", name: "stdout", text: "" };
  // Outputs are handed to the OutputArea as they are; only stream text is
  // joined here (the renderers accept both forms anyway).
  if (o.output_type === "stream") return { ...(o as object), text: joinLines(o.text) } as Output;
  return o as unknown as Output;
}

function parseCell(raw: unknown): CellData {
  const c = isObj(raw) ? raw : {};
  const t = c.cell_type === "markdown" || c.cell_type === "raw" || c.cell_type === "code" ? c.cell_type : "raw";
  const extra: Json = {};
  for (const [k, v] of Object.entries(c)) {
    if (!["cell_type", "id", "source", "metadata", "execution_count", "outputs", "attachments"].includes(k)) extra[k] = v;
  }
  // An unknown cell type (future nbformat minor) is shown as raw but kept:
  // its original type goes back out through extra.
  if (t === "raw" && c.cell_type !== "raw") extra.__orig_cell_type = c.cell_type;
  return {
    cell_type: t,
    id: typeof c.id === "string" ? c.id : undefined,
    source: joinLines(c.source),
    metadata: isObj(c.metadata) ? c.metadata : {},
    execution_count: typeof c.execution_count === "number" ? c.execution_count : null,
    outputs: Array.isArray(c.outputs) ? c.outputs.map(normaliseOutput) : [],
    attachments: isObj(c.attachments) ? c.attachments : undefined,
    extra,
  };
}

export function parseNotebook(content: unknown): NotebookData {
  const nb = isObj(content) ? content : {};
  const extra: Json = {};
  for (const [k, v] of Object.entries(nb)) {
    if (!["cells", "metadata", "nbformat", "nbformat_minor"].includes(k)) extra[k] = v;
  }
  return {
    metadata: isObj(nb.metadata) ? nb.metadata : {},
    nbformat: typeof nb.nbformat === "number" ? nb.nbformat : 4,
    nbformat_minor: typeof nb.nbformat_minor === "number" ? nb.nbformat_minor : 5,
    extra,
    cells: Array.isArray(nb.cells) ? nb.cells.map(parseCell) : [],
  };
}

/** wantsIds: nbformat 4.5+ requires cell ids; older minors forbid them. */
export function wantsIds(nb: { nbformat: number; nbformat_minor: number }): boolean {
  return nb.nbformat > 4 || (nb.nbformat === 4 && nb.nbformat_minor >= 5);
}

export function newCell(type: CellType, source = "", withId = true): CellData {
  return {
    cell_type: type,
    id: withId ? randomId(12) : undefined,
    source,
    metadata: type === "code" ? { trusted: true } : {},
    execution_count: null,
    outputs: [],
    extra: {},
  };
}

/** serialiseCell writes one cell back as nbformat JSON; outputs are the live ones. */
export function serialiseCell(c: CellData, outputs: Output[]): Json {
  const out: Json = {};
  const { __orig_cell_type, ...rest } = c.extra;
  out.cell_type = typeof __orig_cell_type === "string" ? __orig_cell_type : c.cell_type;
  if (c.id !== undefined) out.id = c.id;
  out.metadata = c.metadata;
  out.source = c.source;
  if (c.cell_type === "code") {
    out.execution_count = c.execution_count;
    out.outputs = outputs;
  } else if (c.attachments !== undefined) {
    out.attachments = c.attachments;
  }
  Object.assign(out, rest);
  return out;
}

/** cloneCell deep-copies a cell (clipboard, undo) with its live outputs. */
export function cloneCell(c: CellData, outputs: Output[]): CellData {
  return JSON.parse(JSON.stringify({ ...c, outputs })) as CellData;
}

/** copyName is "<stem>-copy.ipynb" (or -copy-2, -copy-3, … when n > 1). */
export function copyName(name: string, n: number): string {
  const dot = name.toLowerCase().endsWith(".ipynb") ? name.length - 6 : name.length;
  const stem = name.slice(0, dot);
  const ext = name.slice(dot) || ".ipynb";
  return `${stem}-copy${n > 1 ? "-" + n : ""}${ext}`;
}

/** infoLanguage is the language a language_info (notebook metadata or
 *  kernel_info_reply) names for the editor: its codemirror_mode (a name or
 *  { name }), else its name; undefined when it names none. */
export function infoLanguage(li: Json | undefined): unknown {
  const mode = li?.codemirror_mode;
  return (typeof mode === "string" ? mode : (mode as Json | undefined)?.name) ?? li?.name;
}
