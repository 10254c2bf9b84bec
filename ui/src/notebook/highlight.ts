// Static syntax colouring for cells that have no editor yet. It needs only
// a Lezer parser and @lezer/highlight, not CodeMirror, so the first cells
// show coloured before the editor's code (editor.ts) has arrived.
import type { Parser } from "@lezer/common";
import { tags as t, tagHighlighter, highlightCode } from "@lezer/highlight";
import { parser as python } from "@lezer/python";

/** Token classes (colours in notebook.css), shared with the editors (editor.ts). */
export const highlight = tagHighlighter([
  { tag: [t.keyword, t.controlKeyword, t.moduleKeyword, t.operatorKeyword, t.definitionKeyword], class: "tok-kw" },
  { tag: [t.string, t.special(t.string), t.regexp], class: "tok-str" },
  { tag: [t.number, t.bool, t.null, t.atom], class: "tok-num" },
  { tag: [t.comment, t.lineComment, t.blockComment], class: "tok-com" },
  { tag: [t.function(t.variableName), t.function(t.propertyName), t.definition(t.function(t.variableName))], class: "tok-fn" },
  { tag: [t.className, t.typeName, t.definition(t.className)], class: "tok-type" },
  { tag: [t.operator, t.punctuation], class: "tok-op" },
  { tag: [t.meta, t.annotation, t.processingInstruction], class: "tok-meta" },
  { tag: t.heading, class: "tok-head" },
  { tag: t.emphasis, class: "tok-em" },
  { tag: t.strong, class: "tok-strong" },
  { tag: [t.link, t.url], class: "tok-link" },
  { tag: t.invalid, class: "tok-bad" },
]);

/** pythonParser colours Python cells until the kernel's language and the editor's modes are known. */
export const pythonParser: Parser = python;

/** Texts longer than this stay plain until they get an editor. */
const MAX_STATIC = 20000;

/** highlightInto fills el with text coloured by parser (plain text without one). */
export function highlightInto(el: HTMLElement, text: string, parser: Parser | null): void {
  if (!parser || text.length > MAX_STATIC) {
    el.textContent = text;
    return;
  }
  const frag = document.createDocumentFragment();
  let tree;
  try {
    tree = parser.parse(text);
  } catch {
    el.textContent = text;
    return;
  }
  highlightCode(
    text,
    tree,
    highlight,
    (chunk, classes) => {
      if (classes) {
        const span = document.createElement("span");
        span.className = classes;
        span.textContent = chunk;
        frag.appendChild(span);
      } else frag.appendChild(document.createTextNode(chunk));
    },
    () => frag.appendChild(document.createTextNode("\n")),
  );
  el.replaceChildren(frag);
}
