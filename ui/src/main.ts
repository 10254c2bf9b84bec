// Entry point: picks the view from the address. Each view is its own
// chunk, so the file browser never loads CodeMirror and only the terminal
// page loads xterm.js. A notebook's page starts its three downloads at
// once: the view's code, its heavy half (CodeMirror, renderers) and the
// notebook's contents; the cells show as text when the contents arrive.
import "./style.css";
import { baseUrl, contents } from "./api";
import { h } from "./dom";
import { route } from "./route";

async function start(): Promise<void> {
  const root = document.getElementById("app")!;
  const { view, path } = route(location.pathname, baseUrl());
  try {
    if (view === "notebooks") {
      const early = {
        contents: contents.get(path, { type: "notebook", hash: true }),
        view: import("./notebook/view"),
      };
      // the notebook view reports their failures when it awaits them
      early.contents.catch(() => {});
      early.view.catch(() => {});
      (await import("./notebook/index")).mount(root, path, early);
    }
    else if (view === "edit") (await import("./editor/index")).mount(root, path);
    else if (view === "terminals") (await import("./terminal/index")).mount(root, path);
    else (await import("./files/index")).mount(root, path);
  } catch (e) {
    root.replaceChildren(h("p", { class: "q-fatal", role: "alert", text: "The interface failed to load: " + String(e) }));
  }
}

void start();
