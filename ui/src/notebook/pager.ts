// The pager: a panel at the bottom of the page for what the kernel "pages"
// (execute_reply "page" payloads: `len?`, `len??`, %magic help), as Jupyter
// shows help apart from the cell's outputs. Text only, ANSI colours
// rendered; nothing of it is parsed as HTML.
import { h } from "../dom";
import { Terminal } from "../outputs/ansi";
import type { MimeBundle } from "../outputs/index";
import { joinText } from "../outputs/stream";
import { TextView } from "../outputs/textview";

export class Pager {
  readonly el: HTMLElement;
  private body: HTMLElement;

  /** onClose runs after the pager closed by its button or close() (to give the focus back). */
  constructor(private onClose: () => void) {
    const close = h("button", { type: "button", class: "nb-pager-close", "aria-label": "Close the pager", title: "Close (Esc)", "data-testid": "pager-close", text: "×" });
    close.addEventListener("click", () => this.close());
    this.body = h("div", { class: "nb-pager-body", tabindex: "0", "aria-label": "Pager text", "data-testid": "pager-text" });
    this.el = h(
      "section",
      { class: "nb-pager", "aria-label": "Pager", "data-testid": "pager" },
      h("div", { class: "nb-pager-bar" }, h("span", { class: "nb-pager-title", text: "Pager" }), close),
      this.body,
    );
    this.el.hidden = true;
    this.body.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") {
        ev.preventDefault();
        ev.stopPropagation();
        this.close();
      }
    });
  }

  get isOpen(): boolean {
    return !this.el.hidden;
  }

  /** show replaces the pager's text with data's (its plain text), showing line start first. */
  show(data: MimeBundle, start = 0): void {
    const text = joinText(data["text/plain"] ?? "");
    const term = new Terminal();
    term.write(text || "(nothing to show)");
    const tv = new TextView(term, "nb-pager-text", "pager.txt");
    tv.flush();
    this.body.replaceChildren(tv.root);
    this.el.hidden = false;
    document.documentElement.classList.add("nb-pager-open");
    this.body.scrollTop = 0;
    if (start > 0) {
      const line = tv.root.querySelector("pre")?.children[start];
      if (line instanceof HTMLElement) this.body.scrollTop = line.offsetTop - this.body.offsetTop;
    }
  }

  close(): void {
    if (this.el.hidden) return;
    this.el.hidden = true;
    this.body.replaceChildren();
    document.documentElement.classList.remove("nb-pager-open");
    this.onClose();
  }
}
