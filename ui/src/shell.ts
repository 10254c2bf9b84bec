// The page frame every view shares: a header with the home link, a title
// area, view-specific tools and logout.
import { logout, pageUrl } from "./api";
import { h } from "./dom";

export interface Shell {
  header: HTMLElement;
  /** title holds the view's name (breadcrumb or file name). */
  title: HTMLElement;
  /** tools holds the view's header controls, left of logout. */
  tools: HTMLElement;
  main: HTMLElement;
}

export function mountShell(root: HTMLElement, documentTitle: string): Shell {
  document.title = documentTitle ? `${documentTitle} — Quire` : "Quire";
  const title = h("div", { class: "q-title" });
  const tools = h("div", { class: "q-tools" });
  const out = h("button", { type: "button", class: "q-btn", "data-testid": "logout", text: "Log out" });
  out.addEventListener("click", () => logout());
  const header = h(
    "header",
    { class: "q-header" },
    h("a", { class: "q-logo", href: pageUrl("tree", ""), "aria-label": "Quire: home", text: "Quire" }),
    title,
    tools,
    out,
  );
  const main = h("main", { class: "q-main", id: "main" });
  root.replaceChildren(header, main);
  return { header, title, tools, main };
}
