// What the page shows of the kernel: its name and state in the header, and
// the banners for a lost or taken-over connection, a kernel that stopped
// responding and a dead one, each with its way out.
import { LostConnectionBanner } from "../banner";
import { notify } from "../dialog";
import { h } from "../dom";
import type { KernelState } from "./kernel";

const stateText: Record<KernelState, string> = {
  starting: "Starting",
  idle: "Idle",
  busy: "Busy",
  restarting: "Restarting",
  disconnected: "Disconnected",
  dead: "Dead",
  unresponsive: "Not responding",
};

/** The buttons of the banners. */
export interface KernelStatusActions {
  reconnectNow(): void;
  restart(): void;
  restartDead(): void;
}

export interface ConnectionDetail {
  replaced?: boolean;
  attempt?: number;
  delay?: number;
}

export class KernelStatusView {
  /** nameEl and stateEl go into the header. */
  readonly nameEl: HTMLElement;
  readonly stateEl: HTMLElement;
  private lost: LostConnectionBanner;
  private deadBanner: HTMLElement | null = null;
  private unresponsiveBanner: HTMLElement | null = null;
  private replacedBanner: HTMLElement | null = null;

  /** banners is where the banners go. */
  constructor(
    private banners: HTMLElement,
    private actions: KernelStatusActions,
  ) {
    this.lost = new LostConnectionBanner(banners, "the kernel", "Your edits and outputs are kept.", () => actions.reconnectNow());
    this.nameEl = h("span", { class: "nb-kname", "data-testid": "kernel-name" }, h("span", { class: "nb-kname-text", text: "No kernel" }));
    this.stateEl = h(
      "span",
      { class: "nb-kstatus", "data-testid": "kernel-status", "data-state": "starting", title: "Kernel starting" },
      h("span", { class: "nb-dot", "aria-hidden": "true" }),
      h("span", { class: "nb-kstatus-text", text: stateText.starting }),
    );
  }

  /** setName shows the kernel's display name, with its kernelspec's logo when it has one. */
  setName(name: string, logo?: string): void {
    this.nameEl.querySelector(".nb-kname-text")!.textContent = name;
    let img = this.nameEl.querySelector("img");
    if (!logo) img?.remove();
    else {
      if (!img) {
        img = h("img", { class: "q-klogo", alt: "", width: "16", height: "16", "data-testid": "kernel-logo" });
        this.nameEl.prepend(img);
      }
      if (img.getAttribute("src") !== logo) img.src = logo;
    }
  }

  setState(s: KernelState): void {
    if (s !== "unresponsive" && this.unresponsiveBanner) {
      this.unresponsiveBanner.remove();
      this.unresponsiveBanner = null;
      if (s === "idle" || s === "busy" || s === "starting") notify("The kernel is responding again.");
    }
    this.stateEl.setAttribute("data-state", s);
    const text = this.stateEl.querySelector(".nb-kstatus-text");
    if (text) text.textContent = stateText[s];
    this.stateEl.title = "Kernel " + stateText[s].toLowerCase();
    this.stateEl.setAttribute("aria-label", "Kernel status: " + stateText[s]);
  }

  /** withoutKernel: the notebook runs no kernel, by choice (state "none"). */
  withoutKernel(): void {
    this.setName("No kernel");
    this.stateEl.setAttribute("data-state", "none");
    this.stateEl.querySelector(".nb-kstatus-text")!.textContent = "No kernel";
    this.stateEl.title = "No kernel: pick one with Kernel → Change kernel";
    this.stateEl.setAttribute("aria-label", "Kernel status: no kernel");
  }

  /** noKernel: the notebook could not be opened, so no kernel starts. */
  noKernel(): void {
    this.setState("dead");
    this.stateEl.querySelector(".nb-kstatus-text")!.textContent = "No kernel";
  }

  /** connection shows the WebSocket coming back (up) or lost: replaced by another page, or retried after d.delay. */
  connection(up: boolean, d: ConnectionDetail): void {
    if (up) {
      this.hideLost();
      this.replacedBanner?.remove();
      this.replacedBanner = null;
      return;
    }
    if (d.replaced) {
      this.hideLost();
      if (!this.replacedBanner) {
        const again = h("button", { type: "button", class: "q-btn", text: "Reconnect here" });
        again.addEventListener("click", () => this.actions.reconnectNow());
        this.replacedBanner = h(
          "div",
          { class: "q-banner warn", "data-testid": "connection-replaced", role: "alert" },
          h("span", { text: "This notebook's kernel connection was taken over by another window or tab, so this page stopped listening." }),
          again,
        );
        this.banners.appendChild(this.replacedBanner);
      }
      notify("The kernel connection was replaced by another tab or window.", "error");
      return;
    }
    this.lost.show(d.attempt ?? 1, d.delay ?? 0);
  }

  hideLost(): void {
    this.lost.hide();
  }

  /** showUnresponsive: the kernel stopped answering; running cells stay, as it may come back. */
  showUnresponsive(reason: string): void {
    this.unresponsiveBanner?.remove();
    const b = h("button", { type: "button", class: "q-btn", "data-testid": "kernel-unresponsive-restart", text: "Restart kernel" });
    b.addEventListener("click", () => this.actions.restart());
    const why = reason ? `: ${reason}` : "";
    this.unresponsiveBanner = h(
      "div",
      { class: "q-banner warn", "data-testid": "kernel-unresponsive", role: "alert" },
      h("span", { text: `The kernel is not responding${why}. It may recover by itself: running cells then continue, and cells run meanwhile wait for it. Restarting it loses its variables.` }),
      b,
    );
    this.banners.appendChild(this.unresponsiveBanner);
  }

  showDead(): void {
    if (this.deadBanner) return;
    const b = h("button", { type: "button", class: "q-btn primary", "data-testid": "kernel-dead-restart", text: "Restart kernel" });
    b.addEventListener("click", () => this.actions.restartDead());
    this.deadBanner = h("div", { class: "q-banner error", "data-testid": "kernel-dead", role: "alert" }, h("span", { text: "The kernel has died." }), b);
    this.banners.appendChild(this.deadBanner);
  }

  hideDead(): void {
    this.deadBanner?.remove();
    this.deadBanner = null;
  }
}
