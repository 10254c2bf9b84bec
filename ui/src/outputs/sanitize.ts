// The HTML sanitiser for untrusted output and markdown: DOMPurify with
// scripts, handlers, dangerous URLs, frames, forms, <base>/<meta>/<link>
// and <style> removed, and links opened in a new tab. It returns a
// DocumentFragment (never a string a caller could assign to innerHTML).
//
// DOM clobbering: every id and name is prefixed with "user-content-"
// (DOMPurify's SANITIZE_NAMED_PROPS, as GitHub does), so <a id="x"> in an
// output cannot define window.x or document.x for the UI's code to trip
// over; SANITIZE_DOM alone only refuses names that clash with existing
// properties. In-page links ("#x") are prefixed the same way so they still
// reach their anchors; markdown.ts turns both into its "md-" heading ids.
import DOMPurify from "dompurify";

// Our own instance, so hooks other modules add to the default one do not mix in.
const purify = DOMPurify(window);

const FORBID_TAGS = [
  "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet",
  "form", "base", "meta", "link", "noscript", "template", "portal", "dialog",
];
const FORBID_ATTR = ["action", "formaction", "srcdoc", "ping", "target", "autofocus"];

// DOMPurify's default URI rule, plus "attachment:" (resolved by markdown.ts, removed elsewhere).
const URI_RE = /^(?:(?:(?:f|ht)tps?|mailto|tel|callto|sms|cid|xmpp|matrix|attachment):|[^a-z]|[a-z+.\-]+(?:[^a-z+.\-:]|$))/i;

/** NAMED_PREFIX is what SANITIZE_NAMED_PROPS puts before ids and names. */
export const NAMED_PREFIX = "user-content-";

// Attributes holding space-separated id references, which must follow the
// ids' renaming (a <label for>, an ARIA relation, a table cell's headers).
const IDREF_ATTRS = [
  "for", "headers", "list", "aria-activedescendant", "aria-controls", "aria-describedby",
  "aria-details", "aria-errormessage", "aria-flowto", "aria-labelledby", "aria-owns",
];

/** prefixRef turns a same-document reference "#x" into "#user-content-x". */
function prefixRef(v: string): string {
  return v.length > 1 && v.startsWith("#") && !v.startsWith("#" + NAMED_PREFIX) ? "#" + NAMED_PREFIX + v.slice(1) : v;
}

/** prefixUrls does the same inside CSS/SVG "url(#x)" references. */
function prefixUrls(v: string): string {
  return v.replace(/url\(\s*(['"]?)#(?!user-content-)/gi, (_m, q: string) => `url(${q}#${NAMED_PREFIX}`);
}

purify.addHook("afterSanitizeAttributes", (node) => {
  const el = node as Element;
  // Same-document references keep reaching the renamed ids and names.
  for (const a of ["href", "xlink:href", "usemap"]) {
    const v = el.getAttribute(a);
    if (v !== null && prefixRef(v) !== v) el.setAttribute(a, prefixRef(v));
  }
  for (const a of IDREF_ATTRS) {
    const v = el.getAttribute(a);
    if (v !== null) {
      el.setAttribute(a, v.split(/\s+/).filter(Boolean).map((id) => (id.startsWith(NAMED_PREFIX) ? id : NAMED_PREFIX + id)).join(" "));
    }
  }
  for (const attr of Array.from(el.attributes)) {
    if (attr.value.includes("#") && /url\(/i.test(attr.value)) {
      const v = prefixUrls(attr.value);
      if (v !== attr.value) el.setAttribute(attr.name, v);
    }
  }
  if (el.tagName === "A" || el.tagName === "AREA") {
    const href = el.getAttribute("href");
    if (href !== null && !href.startsWith("#")) {
      el.setAttribute("target", "_blank");
      el.setAttribute("rel", "noopener noreferrer");
    }
  }
  // SVG <use>/<image> pulling external documents is not needed by outputs
  if (el.namespaceURI === "http://www.w3.org/2000/svg") {
    for (const a of ["href", "xlink:href"]) {
      const v = el.getAttribute(a);
      if (v !== null && !v.startsWith("#") && !/^data:image\//i.test(v)) el.removeAttribute(a);
    }
  }
});

export interface Sanitized {
  fragment: DocumentFragment;
  /** removedActive: the sanitiser removed something that could run or load
   *  code (scripts, handlers, frames, URLs it refused, styles…): trusted
   *  HTML like that belongs in the sandbox frame. */
  removedActive: boolean;
}

/** sanitize cleans untrusted HTML. mathml: keep KaTeX's MathML. */
export function sanitize(html: string, opts: { mathml?: boolean } = {}): Sanitized {
  const fragment = purify.sanitize(html, {
    RETURN_DOM_FRAGMENT: true,
    FORBID_TAGS,
    FORBID_ATTR,
    ALLOWED_URI_REGEXP: URI_RE,
    ADD_FORBID_CONTENTS: opts.mathml ? ["annotation", "annotation-xml"] : [],
    ALLOW_DATA_ATTR: true,
    SANITIZE_DOM: true,
    SANITIZE_NAMED_PROPS: true,
  });
  let removedActive = false;
  for (const r of purify.removed) {
    if ("element" in r && r.element) {
      const el = r.element as Element;
      const tag = (el.nodeName || "").toLowerCase();
      if (tag === "style" && isDataFrameStyle(el.textContent || "")) continue;
      if (tag === "annotation" || tag === "semantics") continue;
      if (tag === "#comment" || tag === "#text" || tag === "body" || tag === "html" || tag === "head") continue;
      removedActive = true;
    } else if ("attribute" in r && r.attribute) {
      const name = r.attribute.name.toLowerCase();
      if (name === "target" || name === "scoped" || name === "autofocus") continue;
      // ids and names are removed and put back prefixed (or dropped when
      // they clash with document properties): nothing that could run.
      if (name === "id" || name === "name") continue;
      removedActive = true;
    }
  }
  return { fragment, removedActive };
}

/** isDataFrameStyle: pandas' DataFrame HTML carries a <style> that only
 *  touches ".dataframe" tables; dropping it is harmless (outputs.css has the rules). */
export function isDataFrameStyle(css: string): boolean {
  const body = css.replace(/\/\*[\s\S]*?\*\//g, "");
  const rules = body.split("}").map((r) => r.trim()).filter((r) => r);
  if (rules.length === 0) return true;
  return rules.every((r) => {
    const i = r.indexOf("{");
    if (i < 0) return false;
    return r
      .slice(0, i)
      .split(",")
      .every((sel) => sel.includes(".dataframe"));
  });
}
