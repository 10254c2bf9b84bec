// The terminal page, {base}terminals/{name}: xterm.js attached to the
// terminal's WebSocket (connection.ts). This chunk is the only one that
// loads xterm.js. The screen fills the window and follows its size (the
// fit addon, then set_size to the shell); colours follow the page's theme
// (theme.ts); links open in a new tab without an opener. Ctrl-C goes to
// the shell; Ctrl-Shift-C copies the selection and Ctrl-Shift-V (or the
// browser's own paste) pastes.
import "@xterm/xterm/css/xterm.css";
import "../outputs/palettecss";
import "./terminal.css";
import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import { WebLinksAddon } from "@xterm/addon-web-links";
import { ApiError, pageUrl, terminals } from "../api";
import { LostConnectionBanner } from "../banner";
import { notify } from "../dialog";
import { h } from "../dom";
import { mountShell } from "../shell";
import { TerminalConnection } from "./connection";
import { followTheme } from "./theme";

export function mount(root: HTMLElement, name: string): void {
  void new TerminalPage(root, name).start();
}

/** openLink opens a web address from the terminal in a new tab, without an opener. */
export function openLink(uri: string): void {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return;
  window.open(u.href, "_blank", "noopener,noreferrer");
}

/** startTerminal opens a new shell and goes to its page. */
export async function startTerminal(): Promise<void> {
  try {
    const t = await terminals.start();
    location.assign(pageUrl("terminals", t.name));
  } catch (e) {
    notify("Cannot start a terminal: " + (e instanceof ApiError ? e.message : String((e as Error)?.message || e)), "error");
  }
}

class TerminalPage {
  private main: HTMLElement;
  private banners: HTMLElement;
  private host: HTMLElement;
  /** screen holds xterm.js: the fit addon fills it. */
  private screen: HTMLElement;
  private term: Terminal | null = null;
  private conn: TerminalConnection | null = null;
  private lost: LostConnectionBanner;

  constructor(
    root: HTMLElement,
    private name: string,
  ) {
    const label = `Terminal ${name}`;
    const shell = mountShell(root, label);
    document.body.classList.add("tm-page");
    shell.title.append(h("h1", { class: "tm-title", "data-testid": "terminal-title", text: label }));
    this.main = shell.main;
    this.main.classList.add("tm-main");
    this.banners = h("div", { class: "q-banners" });
    // data-state (connecting, connected, disconnected, ended, missing) and
    // data-rows/data-cols (the screen's size) say what the page shows.
    this.screen = h("div", { class: "tm-screen" });
    this.host = h("div", { class: "tm-host", "data-testid": "terminal", "data-state": "connecting" }, this.screen);
    this.main.append(this.banners, this.host);
    this.lost = new LostConnectionBanner(this.banners, "the terminal", "The shell keeps running; its output is shown when the connection is back.", () =>
      this.conn?.reconnectNow(),
    );
  }

  private setState(s: string): void {
    this.host.setAttribute("data-state", s);
  }

  async start(): Promise<void> {
    if (!this.name) {
      this.showMissing();
      return;
    }
    try {
      await terminals.get(this.name);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        this.showMissing();
        return;
      }
      // Unreachable for now: the connection retries until it is back.
    }
    this.open();
  }

  private open(): void {
    const term = new Terminal({
      cursorBlink: true,
      fontFamily: getComputedStyle(document.documentElement).getPropertyValue("--mono").trim() || "monospace",
      fontSize: 14,
      scrollback: 5000,
      // WCAG AA, as for notebook outputs: colours a program picked badly
      // for this theme are still readable.
      minimumContrastRatio: 4.5,
      linkHandler: { activate: (_ev, text) => openLink(text) },
    });
    this.term = term;
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.loadAddon(new WebLinksAddon((_ev, uri) => openLink(uri)));
    followTheme((t) => {
      term.options.theme = t;
    });
    term.open(this.screen);
    term.attachCustomKeyEventHandler((ev) => this.key(ev));

    const conn = new TerminalConnection(this.name, {
      open: () => {
        this.lost.hide();
        this.setState("connected");
        // The server replays the recent output next: start from a clean
        // screen so it is not shown twice.
        term.reset();
      },
      output: (text) => term.write(text),
      lost: (attempt, delay) => {
        this.setState("disconnected");
        this.lost.show(attempt, delay);
      },
      ended: () => this.showEnded(),
      missing: () => this.showMissing(),
    });
    this.conn = conn;
    term.onData((data) => {
      conn.input(data);
    });
    term.onResize(({ rows, cols }) => {
      this.host.setAttribute("data-rows", String(rows));
      this.host.setAttribute("data-cols", String(cols));
      conn.setSize(rows, cols);
    });
    const refit = () => {
      if (this.screen.clientWidth > 0 && this.screen.clientHeight > 0) fit.fit();
    };
    let frame = 0;
    new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(refit);
    }).observe(this.screen);
    refit();
    conn.setSize(term.rows, term.cols);
    this.host.setAttribute("data-rows", String(term.rows));
    this.host.setAttribute("data-cols", String(term.cols));
    conn.connect();
    term.focus();
  }

  /** key handles the page's own keys before xterm.js sees them: false keeps them from the shell. */
  private key(ev: KeyboardEvent): boolean {
    if (ev.type !== "keydown") return true;
    const ctrlShift = ev.ctrlKey && ev.shiftKey && !ev.altKey && !ev.metaKey;
    if (ctrlShift && ev.code === "KeyC") {
      // Copy: the copy event xterm.js answers with its selection (and not
      // the browser's developer tools, which Ctrl-Shift-C also opens).
      ev.preventDefault();
      const term = this.term;
      if (term?.hasSelection() && !document.execCommand("copy")) void navigator.clipboard?.writeText(term.getSelection()).catch(() => {});
      return false;
    }
    // Paste: the browser's paste (a paste event xterm.js handles).
    if (ctrlShift && ev.code === "KeyV") return false;
    return true;
  }

  private newTerminalButton(primary: boolean): HTMLButtonElement {
    const b = h("button", { type: "button", class: primary ? "q-btn primary" : "q-btn", "data-testid": "terminal-new", text: "Start a new terminal" });
    b.addEventListener("click", () => {
      b.disabled = true;
      void startTerminal().finally(() => (b.disabled = false));
    });
    return b;
  }

  private showEnded(): void {
    this.setState("ended");
    this.lost.hide();
    if (this.term) this.term.options.disableStdin = true;
    if (this.banners.querySelector('[data-testid="terminal-ended"]')) return;
    this.banners.append(
      h(
        "div",
        { class: "q-banner warn", "data-testid": "terminal-ended", role: "alert" },
        h("span", { text: "This terminal has ended: its shell exited, or it was shut down. Its last output stays on the screen." }),
        this.newTerminalButton(true),
      ),
    );
  }

  private showMissing(): void {
    this.setState("missing");
    this.lost.hide();
    this.conn?.close();
    this.term?.dispose();
    this.term = null;
    const home = h("a", { href: pageUrl("tree", ""), text: "Go to the file browser" });
    this.main.replaceChildren(
      h(
        "div",
        { class: "tm-message", "data-testid": "terminal-missing", role: "alert" },
        h("h2", { text: "No such terminal" }),
        h("p", {
          text: this.name
            ? `There is no terminal named “${this.name}”. Its shell may have ended, it may have been shut down, or the server may have restarted.`
            : "This address names no terminal.",
        }),
        h("p", { class: "tm-message-actions" }, this.newTerminalButton(true), " ", home),
      ),
    );
  }
}
