// Which MIME type of a bundle to show, and checks on its data. Pure.

/** MIME_ORDER is Jupyter's preference, richest first. */
export const MIME_ORDER = [
  "application/vnd.jupyter.widget-view+json",
  "application/javascript",
  "text/html",
  "text/markdown",
  "text/latex",
  "image/svg+xml",
  "image/png",
  "image/jpeg",
  "image/gif",
  "application/json",
  "text/plain",
] as const;

/** Types Quire renders (no widgets). */
const SUPPORTED = new Set<string>(MIME_ORDER.filter((m) => m !== "application/vnd.jupyter.widget-view+json"));

export interface MimeChoice {
  /** the MIME type to render, or null if none can be shown */
  mime: string | null;
  /** why nothing (or less) is shown, for the reader */
  note?: string;
}

/** chooseMime picks the richest renderable type. Untrusted output never runs
 *  JavaScript (text/html is then sanitised by the caller). */
export function chooseMime(data: Record<string, unknown> | null | undefined, trusted: boolean): MimeChoice {
  const keys = data ? Object.keys(data) : [];
  let skippedJs = false;
  for (const m of MIME_ORDER) {
    if (!keys.includes(m) || !SUPPORTED.has(m)) continue;
    if (m === "application/javascript" && !trusted) {
      skippedJs = true;
      continue;
    }
    return { mime: m };
  }
  if (skippedJs) return { mime: null, note: "JavaScript output not shown: the notebook is not trusted." };
  if (keys.includes("application/vnd.jupyter.widget-view+json"))
    return { mime: null, note: "Widget output is not supported." };
  if (keys.length === 0) return { mime: null };
  return { mime: null, note: "No renderer for this output (" + keys.slice(0, 5).join(", ") + ")." };
}

/** cleanBase64 strips whitespace from base64 data; null if it is not valid base64. */
export function cleanBase64(v: unknown): string | null {
  let s: string;
  if (typeof v === "string") s = v;
  else if (Array.isArray(v) && v.every((x) => typeof x === "string")) s = v.join("");
  else return null;
  s = s.replace(/\s+/g, "");
  if (s.length === 0 || s.length % 4 === 1) return null;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  return s;
}

/** utf8ToBase64 encodes text (e.g. SVG markup) as base64 of its UTF-8 bytes. */
export function utf8ToBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    bin += String.fromCharCode(...bytes.subarray(i, i + step));
  }
  return btoa(bin);
}

export interface ImageSize {
  width?: number;
  height?: number;
  unconfined: boolean;
}

/** imageSize reads metadata[mime].width/height and unconfined (also at top level). */
export function imageSize(metadata: unknown, mime: string): ImageSize {
  const md = (metadata && typeof metadata === "object" ? metadata : {}) as Record<string, unknown>;
  const per = (md[mime] && typeof md[mime] === "object" ? md[mime] : {}) as Record<string, unknown>;
  const num = (x: unknown) => {
    const n = typeof x === "string" ? Number(x) : x;
    return typeof n === "number" && Number.isFinite(n) && n > 0 ? n : undefined;
  };
  return {
    width: num(per.width),
    height: num(per.height),
    unconfined: per.unconfined === true || md.unconfined === true,
  };
}

/** latexParts tells how to render a text/latex value: one formula (with its
 *  delimiters stripped) or text with math inside. */
export function latexFormula(src: string): { tex: string; display: boolean } | null {
  const s = src.trim();
  let m: RegExpMatchArray | null;
  if ((m = s.match(/^\$\$([\s\S]*)\$\$$/)) && !m[1].includes("$$")) return { tex: m[1], display: true };
  if ((m = s.match(/^\\\[([\s\S]*)\\\]$/)) && !m[1].includes("\\]")) return { tex: m[1], display: true };
  if ((m = s.match(/^\\\(([\s\S]*)\\\)$/)) && !m[1].includes("\\)")) return { tex: m[1], display: false };
  if ((m = s.match(/^\$([^$]*)\$$/))) return { tex: m[1], display: false };
  if (/^\\begin\{([a-zA-Z*]+)\}[\s\S]*\\end\{\1\}$/.test(s)) return { tex: s, display: true };
  if (!/[$]|\\\[|\\\(|\\begin\{/.test(s)) return { tex: s, display: true };
  return null;
}
