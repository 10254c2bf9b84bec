// Entry point: picks the view from the address. Each view is its own
// chunk, so the file browser never loads CodeMirror.
import "./style.css";
import { baseUrl } from "./api";
import { h } from "./dom";

export type View = "tree" | "notebooks" | "edit";

/** route splits location.pathname into a view and a contents path. */
export function route(pathname: string, base: string): { view: View; path: string } {
  let rest = pathname.startsWith(base) ? pathname.slice(base.length) : "";
  rest = rest.replace(/^\/+/, "");
  const slash = rest.indexOf("/");
  const head = slash < 0 ? rest : rest.slice(0, slash);
  const tail = slash < 0 ? "" : rest.slice(slash + 1);
  const path = tail
    .split("/")
    .filter((s) => s !== "")
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    })
    .join("/");
  if (head === "notebooks" || head === "edit") return { view: head, path };
  return { view: "tree", path: head === "tree" ? path : "" };
}

async function start(): Promise<void> {
  const root = document.getElementById("app")!;
  const { view, path } = route(location.pathname, baseUrl());
  try {
    if (view === "notebooks") (await import("./notebook/index")).mount(root, path);
    else if (view === "edit") (await import("./editor/index")).mount(root, path);
    else (await import("./files/index")).mount(root, path);
  } catch (e) {
    root.replaceChildren(h("p", { class: "q-fatal", role: "alert", text: "The interface failed to load: " + String(e) }));
  }
}

void start();
