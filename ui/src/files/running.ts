// The running panel: kernels joined with the sessions that own them, and
// the terminals, each with its shut-down button.
import { ApiError, kernels, pageUrl, sessions, terminals } from "../api";
import type { KernelModel, SessionModel, TerminalModel } from "../api";
import { notify } from "../dialog";
import { formatTime, h } from "../dom";

export interface RunningData {
  kernels: KernelModel[];
  sessions: SessionModel[];
  /** null: the terminals could not be listed (a server without them) */
  terminals: TerminalModel[] | null;
}

export async function loadRunning(background = false): Promise<RunningData> {
  const [k, s, t] = await Promise.all([
    kernels.list(background),
    sessions.list(background),
    terminals.list(background).catch(() => null),
  ]);
  return { kernels: k, sessions: s, terminals: t };
}

/** shutdownKernel ends the session owning the kernel (which also stops
 *  the kernel), or the bare kernel when no session owns it. */
export async function shutdownKernel(kernelId: string, owner: SessionModel | undefined): Promise<void> {
  if (owner) await sessions.remove(owner.id);
  else await kernels.shutdown(kernelId);
}

export class RunningPanel {
  readonly el: HTMLElement;
  private body: HTMLElement;
  private count: HTMLElement;
  private toggle: HTMLButtonElement;
  private open = true;

  constructor(private onChange: () => void) {
    const bodyId = "running-body-" + Math.random().toString(36).slice(2);
    this.count = h("span", { class: "fb-run-count", text: "" });
    this.toggle = h(
      "button",
      { type: "button", class: "fb-run-toggle", "aria-expanded": "true", "aria-controls": bodyId },
      h("span", { class: "fb-caret", "aria-hidden": "true" }),
      "Running ",
      this.count,
    );
    this.toggle.addEventListener("click", () => this.setOpen(!this.open));
    this.body = h("div", { class: "fb-run-body", id: bodyId });
    this.el = h(
      "section",
      { class: "fb-running", "data-testid": "running-panel", "aria-label": "Running kernels and terminals" },
      h("h2", { class: "fb-run-head" }, this.toggle),
      this.body,
    );
  }

  private setOpen(open: boolean): void {
    this.open = open;
    this.toggle.setAttribute("aria-expanded", String(open));
    this.body.hidden = !open;
    this.el.classList.toggle("collapsed", !open);
  }

  showError(msg: string): void {
    this.body.replaceChildren(h("p", { class: "fb-muted", text: "Cannot list running kernels: " + msg }));
  }

  render(data: RunningData): void {
    const nk = data.kernels.length;
    const nt = data.terminals?.length ?? 0;
    const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
    this.count.textContent = `(${plural(nk, "kernel")}${data.terminals ? ", " + plural(nt, "terminal") : ""})`;
    this.body.replaceChildren(this.kernelTable(data));
    if (data.terminals) this.body.append(this.terminalTable(data.terminals));
  }

  private kernelTable(data: RunningData): HTMLElement {
    const byKernel = new Map<string, SessionModel>();
    for (const s of data.sessions) if (s.kernel) byKernel.set(s.kernel.id, s);
    if (data.kernels.length === 0) return h("p", { class: "fb-muted", text: "No kernels are running." });
    const rows = [...data.kernels]
      .sort((a, b) => (byKernel.get(a.id)?.path ?? "\uffff" + a.id).localeCompare(byKernel.get(b.id)?.path ?? "\uffff" + b.id))
      .map((k) => this.row(k, byKernel.get(k.id)));
    return h(
      "table",
      { class: "fb-run-table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col", text: "Notebook" }),
          h("th", { scope: "col", text: "Kernel" }),
          h("th", { scope: "col", text: "State" }),
          h("th", { scope: "col", class: "fb-col-conn", text: "Connections" }),
          h("th", { scope: "col" }, h("span", { class: "q-visually-hidden", text: "Actions" })),
        ),
      ),
      h("tbody", {}, ...rows),
    );
  }

  private terminalTable(list: TerminalModel[]): HTMLElement {
    if (list.length === 0) return h("p", { class: "fb-muted", "data-testid": "no-terminals", text: "No terminals are running." });
    const byName = (a: TerminalModel, b: TerminalModel) => a.name.localeCompare(b.name, undefined, { numeric: true });
    return h(
      "table",
      { class: "fb-run-table fb-run-terminals", "data-testid": "terminal-list" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col", text: "Terminal" }),
          h("th", { scope: "col", text: "Last activity" }),
          h("th", { scope: "col" }, h("span", { class: "q-visually-hidden", text: "Actions" })),
        ),
      ),
      h("tbody", {}, ...[...list].sort(byName).map((t) => this.terminalRow(t))),
    );
  }

  private terminalRow(t: TerminalModel): HTMLElement {
    const label = `Terminal ${t.name}`;
    const btn = h("button", {
      type: "button",
      class: "q-btn danger",
      "data-testid": "terminal-shutdown",
      text: "Shut down",
      "aria-label": `Shut down ${label}`,
    });
    btn.addEventListener("click", async () => {
      btn.disabled = true;
      try {
        await terminals.shutdown(t.name);
        notify(`${label} shut down.`);
      } catch (e) {
        notify(`Cannot shut down ${label}: ${e instanceof ApiError ? e.message : String(e)}`, "error");
      }
      this.onChange();
    });
    const when = t.last_activity ? Date.parse(t.last_activity) : NaN;
    const tr = h(
      "tr",
      { "data-testid": "terminal-row" },
      h("td", { class: "fb-run-path" }, h("a", { href: pageUrl("terminals", t.name), "data-testid": "terminal-link", text: label })),
      h("td", { title: Number.isNaN(when) ? null : new Date(when).toLocaleString(), text: t.last_activity ? formatTime(t.last_activity) : "" }),
      h("td", {}, btn),
    );
    tr.setAttribute("data-terminal-name", t.name);
    return tr;
  }

  private row(k: KernelModel, s: SessionModel | undefined): HTMLElement {
    const label = s ? s.path : `kernel ${k.id.slice(0, 8)}`;
    const btn = h("button", {
      type: "button",
      class: "q-btn danger",
      "data-testid": "kernel-shutdown",
      text: "Shut down",
      "aria-label": `Shut down the kernel of ${label}`,
    });
    btn.addEventListener("click", async () => {
      btn.disabled = true;
      try {
        await shutdownKernel(k.id, s);
        notify(s ? `Kernel of ${label} shut down.` : `Kernel ${k.id.slice(0, 8)} shut down.`);
      } catch (e) {
        notify(`Cannot shut down the kernel of ${label}: ${e instanceof ApiError ? e.message : String(e)}`, "error");
      }
      this.onChange();
    });
    const name = s
      ? h("a", { href: pageUrl("notebooks", s.path), text: s.path })
      : h("span", { class: "fb-muted", text: "(no notebook) " + k.id.slice(0, 8) });
    const state = k.unresponsive ? "not-responding" : k.execution_state;
    const tr = h(
      "tr",
      { "data-testid": "kernel-row" },
      h("td", { class: "fb-run-path" }, name),
      h("td", { text: k.name }),
      h("td", {}, h("span", { class: "fb-state fb-state-" + state.replace(/[^a-z]/g, ""), text: state.replace("-", " "), title: (k.reason ? k.reason + ". " : "") + "Last activity: " + (k.last_activity ? formatTime(k.last_activity) : "unknown") })),
      h("td", { class: "fb-col-conn", text: String(k.connections) }),
      h("td", {}, btn),
    );
    tr.setAttribute("data-kernel-id", k.id);
    return tr;
  }
}
