// Markdown rendering (marked + KaTeX + DOMPurify). The exported signature
// is a contract with the notebook editor.
//
// Math is taken out of the source before marked runs (outputs/math.ts),
// rendered by KaTeX (loaded on first use) and put back; the whole HTML then
// goes through DOMPurify and is appended as a fragment. Links and images
// are then fixed up on the sanitised DOM: relative ones point at the
// notebook's folder, "attachment:" images become data: URLs.
import "katex/dist/katex.min.css";
import "./outputs/outputs.css";
import "./outputs/palettecss";
import { Marked } from "marked";
import { filesUrl, pageUrl } from "./api";
import { extractMath, restoreMath, escapeHtml, slug, type MathItem } from "./outputs/math";
import { NAMED_PREFIX, sanitize } from "./outputs/sanitize";
import { katexNow, loadKatex, katexOptions } from "./outputs/katex";
import { joinText } from "./outputs/stream";
import { fastTokenizers, parseFast } from "./outputs/markedfast";

export interface MarkdownOptions {
  /** notebookPath resolves relative links and images to {base}files/…. */
  notebookPath: string;
  /** attachments are a markdown cell's nbformat attachments ("attachment:name" images). */
  attachments?: Record<string, Record<string, string>>;
}

const marked = new Marked({ gfm: true, breaks: false, async: false }, fastTokenizers);

// The latest render request per element: a KaTeX load finishing late must
// not overwrite a newer render.
const pending = new WeakMap<HTMLElement, number>();
let renderSeq = 0;

/** renderMarkdown renders untrusted markdown (with $…$ and $$…$$ math) into el, sanitised. */
export function renderMarkdown(source: string, el: HTMLElement, opts: MarkdownOptions): void {
  el.classList.add("q-markdown");
  el.setAttribute("data-testid", "markdown");
  const seq = ++renderSeq;
  pending.set(el, seq);
  const { text, math } = extractMath(source);
  const katex = math.length ? katexNow() : null;
  if (math.length && !katex) {
    loadKatex().then(
      () => {
        if (pending.get(el) === seq) renderMarkdown(source, el, opts);
      },
      () => {
        /* math stays as source text */
      },
    );
  }
  let html: string;
  try {
    html = parseFast(marked, text);
  } catch {
    html = "<pre>" + escapeHtml(source) + "</pre>";
  }
  html = restoreMath(html, math, (m: MathItem) => {
    if (!katex) return `<span class="q-math-pending">${escapeHtml(m.raw)}</span>`;
    try {
      return katex.renderToString(m.tex, katexOptions(m.display));
    } catch {
      return `<span class="q-math-error">${escapeHtml(m.raw)}</span>`;
    }
  });
  const { fragment } = sanitize(html, { mathml: true });
  fixUp(fragment, opts);
  el.replaceChildren(fragment);
}

/** fixUp gives headings ids and resolves links and images. */
function fixUp(root: DocumentFragment, opts: MarkdownOptions): void {
  const dir = opts.notebookPath.includes("/") ? opts.notebookPath.slice(0, opts.notebookPath.lastIndexOf("/")) : "";
  // Headings get ids in the sanitiser's namespace: the author's own ids
  // and names come out of it as "user-content-x" and in-page links as
  // "#user-content-x", so "[see](#x)" reaches a heading or an <a id="x">
  // alike, in this cell or another, and no id can clobber window.x.
  for (const hd of Array.from(root.querySelectorAll("h1, h2, h3, h4, h5, h6"))) {
    const s = slug(hd.textContent || "");
    if (s) hd.id = NAMED_PREFIX + s;
  }
  for (const a of Array.from(root.querySelectorAll("a[href]"))) {
    const href = a.getAttribute("href") || "";
    if (href.startsWith("#")) {
      let frag = href.slice(1);
      if (frag.startsWith(NAMED_PREFIX)) frag = frag.slice(NAMED_PREFIX.length);
      a.setAttribute("href", "#" + NAMED_PREFIX + safeDecode(frag));
      a.removeAttribute("target");
      a.removeAttribute("rel");
      continue;
    }
    if (/^attachment:/i.test(href)) {
      a.removeAttribute("href");
      continue;
    }
    const local = resolveLocal(href, dir);
    if (local) {
      const { path, hash } = local;
      let u: string;
      if (/\.ipynb$/i.test(path)) u = pageUrl("notebooks", path);
      else if (href.split(/[?#]/)[0].endsWith("/")) u = pageUrl("tree", path);
      else u = filesUrl(path);
      a.setAttribute("href", u + hash);
    }
  }
  for (const img of Array.from(root.querySelectorAll("img[src]"))) {
    const src = img.getAttribute("src") || "";
    if (/^attachment:/i.test(src)) {
      const data = attachmentUrl(src.slice("attachment:".length), opts.attachments);
      if (data) img.setAttribute("src", data);
      else img.removeAttribute("src");
      continue;
    }
    const local = resolveLocal(src, dir);
    if (local) img.setAttribute("src", filesUrl(local.path));
  }
  // any other element must not point at an attachment
  for (const el of Array.from(root.querySelectorAll("[src], [href]"))) {
    for (const a of ["src", "href"]) {
      const v = el.getAttribute(a);
      if (v !== null && /^attachment:/i.test(v)) el.removeAttribute(a);
    }
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** resolveLocal turns a relative (or root-absolute) link into a path under
 *  the server root; null for URLs with a scheme, "//host" and data. */
export function resolveLocal(href: string, dir: string): { path: string; hash: string } | null {
  if (!href || /^[a-z][a-z0-9+.\-]*:/i.test(href) || href.startsWith("//")) return null;
  const hashAt = href.search(/[?#]/);
  const pathPart = hashAt >= 0 ? href.slice(0, hashAt) : href;
  const rest = hashAt >= 0 ? href.slice(hashAt) : "";
  const hash = rest.includes("#") ? rest.slice(rest.indexOf("#")) : "";
  if (pathPart === "") return null;
  const segs = pathPart.startsWith("/") ? [] : dir.split("/").filter(Boolean);
  for (const raw of pathPart.split("/")) {
    const s = safeDecode(raw);
    if (s === "" || s === ".") continue;
    if (s === "..") segs.pop();
    else segs.push(s);
  }
  return { path: segs.join("/"), hash };
}

function attachmentUrl(name: string, attachments: MarkdownOptions["attachments"]): string | null {
  const bundle = attachments?.[safeDecode(name)] ?? attachments?.[name];
  if (!bundle || typeof bundle !== "object") return null;
  for (const [mime, v] of Object.entries(bundle)) {
    if (!/^image\/[a-z0-9.+-]+$/i.test(mime)) continue;
    const b64 = joinText(v).replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) continue;
    return `data:${mime};base64,${b64}`;
  }
  return null;
}
