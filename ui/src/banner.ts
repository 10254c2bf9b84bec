// The banner a page shows while its WebSocket is lost and being retried
// (the notebook's kernel connection, a terminal's), one per page, updated
// on each attempt, with a "Reconnect now" button. The banners' look
// (.q-banner) is in style.css.
import { h } from "./dom";

export class LostConnectionBanner {
  private el: HTMLElement | null = null;

  /**
   * container is where the banner goes; subject names what was lost
   * ("the kernel"); kept says what the user keeps meanwhile.
   */
  constructor(
    private container: HTMLElement,
    private subject: string,
    private kept: string,
    private reconnectNow: () => void,
  ) {}

  /** show shows or updates the banner: retry number attempt in delay ms. */
  show(attempt: number, delay: number): void {
    const secs = Math.max(1, Math.round(delay / 1000));
    const text = `Connection to ${this.subject} lost. Reconnecting in ${secs} s (attempt ${attempt})… ${this.kept}`;
    if (!this.el) {
      const now = h("button", { type: "button", class: "q-btn", text: "Reconnect now" });
      now.addEventListener("click", () => this.reconnectNow());
      this.el = h("div", { class: "q-banner warn", "data-testid": "connection-lost", role: "alert" }, h("span", { class: "q-banner-text", text }), now);
      this.container.appendChild(this.el);
    } else {
      const span = this.el.querySelector(".q-banner-text");
      if (span) span.textContent = text;
    }
  }

  hide(): void {
    this.el?.remove();
    this.el = null;
  }

  get shown(): boolean {
    return this.el !== null;
  }
}
