// Entry point: picks the view from the address. Each view is its own
// chunk, so the file browser never loads CodeMirror.
import "./style.css";
import { baseUrl } from "./api";
import { h } from "./dom";
import { route } from "./route";

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
