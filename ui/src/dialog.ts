// Modal dialogs (native <dialog>: focus trap and Esc for free) and
// transient notices. Shared by every view.
import { h } from "./dom";

export interface DialogButton<T> {
  label: string;
  value: T;
  primary?: boolean;
  danger?: boolean;
}

export interface DialogOptions<T> {
  title: string;
  body?: Node | string;
  buttons: DialogButton<T>[];
  /** input shows a text field; its value is returned as `input`. */
  input?: { label: string; value: string; select?: [number, number] };
  /** testid is set as data-testid on the <dialog>. */
  testid?: string;
}

export interface DialogResult<T> {
  value: T | null; // null: dismissed (Esc or close)
  input: string;
}

export function showDialog<T>(opts: DialogOptions<T>): Promise<DialogResult<T>> {
  return new Promise((resolve) => {
    const titleId = "dlg-title-" + Math.random().toString(36).slice(2);
    const dlg = h("dialog", { class: "q-dialog", "aria-labelledby": titleId, "data-testid": opts.testid ?? "dialog" });
    const form = h("form", { method: "dialog" });
    form.appendChild(h("h2", { id: titleId, text: opts.title }));
    if (opts.body !== undefined) {
      form.appendChild(typeof opts.body === "string" ? h("p", { text: opts.body }) : opts.body);
    }
    let input: HTMLInputElement | null = null;
    if (opts.input) {
      input = h("input", { type: "text", "aria-label": opts.input.label, spellcheck: "false", autocomplete: "off" });
      input.value = opts.input.value;
      form.appendChild(h("label", { class: "q-field" }, h("span", { text: opts.input.label }), input));
    }
    const row = h("div", { class: "q-dialog-buttons" });
    let chosen: T | null = null;
    for (const b of opts.buttons) {
      const btn = h("button", {
        type: "button",
        class: b.primary ? "q-btn primary" : b.danger ? "q-btn danger" : "q-btn",
        text: b.label,
      });
      btn.addEventListener("click", () => {
        chosen = b.value;
        dlg.close();
      });
      row.appendChild(btn);
    }
    form.appendChild(row);
    form.addEventListener("submit", (e) => {
      // Enter in the input picks the primary button.
      e.preventDefault();
      const p = opts.buttons.find((b) => b.primary);
      if (p) {
        chosen = p.value;
        dlg.close();
      }
    });
    dlg.appendChild(form);
    dlg.addEventListener("close", () => {
      resolve({ value: chosen, input: input ? input.value : "" });
      dlg.remove();
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    if (input) {
      input.focus();
      const sel = opts.input?.select;
      if (sel) input.setSelectionRange(sel[0], sel[1]);
      else input.select();
    } else {
      (row.querySelector<HTMLButtonElement>(".primary") ?? row.querySelector("button"))?.focus();
    }
  });
}

/** confirmDialog asks a yes/no question; true when confirmed. */
export async function confirmDialog(title: string, message: string, ok = "OK", danger = false): Promise<boolean> {
  const r = await showDialog({
    title,
    body: message,
    buttons: [
      { label: "Cancel", value: false },
      { label: ok, value: true, primary: !danger, danger },
    ],
  });
  return r.value === true;
}

/** promptDialog asks for a line of text; null when cancelled. */
export async function promptDialog(title: string, label: string, value: string, ok = "OK", select?: [number, number]): Promise<string | null> {
  const r = await showDialog({
    title,
    input: { label, value, select },
    buttons: [
      { label: "Cancel", value: false },
      { label: ok, value: true, primary: true },
    ],
  });
  return r.value ? r.input : null;
}

let noticeBox: HTMLElement | null = null;

/** notify shows a transient message; errors stay until dismissed. */
export function notify(message: string, kind: "info" | "error" = "info", ms = 4000): void {
  if (!noticeBox || !noticeBox.isConnected) {
    noticeBox = h("div", { class: "q-notices", role: "status", "aria-live": "polite" });
    document.body.appendChild(noticeBox);
  }
  const close = h("button", { type: "button", class: "q-notice-close", "aria-label": "Dismiss", text: "×" });
  const n = h("div", { class: `q-notice ${kind}`, "data-testid": "notice" }, h("span", { text: message }), close);
  close.addEventListener("click", () => n.remove());
  noticeBox.appendChild(n);
  if (kind !== "error") setTimeout(() => n.remove(), ms);
}

/** errText is an error's message, for a notice. */
export function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
