// A terminal's WebSocket, {base}terminals/websocket/{name}, speaking
// terminado's JSON protocol: the page sends ["stdin", text] and
// ["set_size", rows, cols]; the server sends ["setup", {}], ["stdout",
// text] and ["disconnect", code] when the shell ends. On each connection
// the server first replays the shell's recent output, so the page clears
// its screen on open (events.open) and the replay redraws it.
//
// A lost connection is retried with the notebook's backoff (backoff.ts);
// the shell keeps running meanwhile. Before each retry the REST model
// says whether the terminal still exists: a 404 means its shell ended (or
// it never existed, when no connection ever opened).
import { ApiError, terminals } from "../api";
import { backoffDelay } from "../backoff";

export interface TerminalEvents {
  /** open: a connection is up; the scrollback's replay follows. */
  open(): void;
  output(text: string): void;
  /** lost: the connection dropped; retry number attempt in delay ms. */
  lost(attempt: number, delay: number): void;
  /** ended: the shell exited. */
  ended(): void;
  /** missing: there is no terminal of this name. */
  missing(): void;
}

export type TerminalState = "connecting" | "connected" | "disconnected" | "ended" | "missing";

/** OPEN_TIMEOUT_MS: a connection neither open nor failed by then is retried. */
const OPEN_TIMEOUT_MS = 20_000;

/** parseMessage reads one terminado frame: [type, ...args], or null. */
export function parseMessage(data: unknown): [string, ...unknown[]] | null {
  if (typeof data !== "string") return null;
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  if (!Array.isArray(v) || typeof v[0] !== "string") return null;
  return v as [string, ...unknown[]];
}

export class TerminalConnection {
  state: TerminalState = "connecting";
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: number | null = null;
  /** everOpened: some connection opened, so a 404 later means the shell ended. */
  private everOpened = false;
  private size: [number, number] | null = null;
  private finished = false;

  constructor(
    readonly name: string,
    private events: TerminalEvents,
  ) {
    window.addEventListener("online", () => {
      if (this.timer !== null) this.reconnectNow();
    });
  }

  get connected(): boolean {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  connect(): void {
    if (this.finished) return;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const old = this.ws;
    this.ws = null;
    old?.close(1000);
    let ws: WebSocket;
    try {
      ws = new WebSocket(terminals.websocketUrl(this.name));
    } catch {
      void this.onClosed();
      return;
    }
    this.ws = ws;
    this.state = "connecting";
    const openTimer = window.setTimeout(() => {
      if (ws === this.ws && ws.readyState === WebSocket.CONNECTING) {
        this.ws = null;
        ws.close();
        void this.onClosed();
      }
    }, OPEN_TIMEOUT_MS);
    ws.onopen = () => {
      clearTimeout(openTimer);
      if (ws !== this.ws) return;
      this.everOpened = true;
      this.attempt = 0;
      this.state = "connected";
      this.events.open();
      if (this.size) this.sendRaw(["set_size", this.size[0], this.size[1]]);
    };
    ws.onmessage = (ev) => {
      if (ws !== this.ws) return;
      const msg = parseMessage(ev.data);
      if (!msg) return;
      if (msg[0] === "stdout" && typeof msg[1] === "string") this.events.output(msg[1]);
      else if (msg[0] === "disconnect") {
        this.end();
        this.events.ended();
      }
      // "setup" carries nothing the page needs.
    };
    ws.onclose = () => {
      clearTimeout(openTimer);
      if (ws !== this.ws) return;
      this.ws = null;
      void this.onClosed();
    };
  }

  /** onClosed asks whether the terminal still exists, then retries or says it is gone. */
  private async onClosed(): Promise<void> {
    if (this.finished) return;
    let gone = false;
    try {
      await terminals.get(this.name);
    } catch (e) {
      gone = e instanceof ApiError && e.status === 404;
    }
    if (this.finished || this.ws !== null) return;
    if (gone) {
      const opened = this.everOpened;
      this.end();
      if (opened) this.events.ended();
      else {
        this.state = "missing";
        this.events.missing();
      }
      return;
    }
    this.state = "disconnected";
    const delay = backoffDelay(this.attempt);
    this.attempt++;
    this.events.lost(this.attempt, delay);
    this.timer = window.setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }

  /** reconnectNow skips the backoff's wait. */
  reconnectNow(): void {
    if (this.finished) return;
    this.attempt = 0;
    this.connect();
  }

  private end(): void {
    this.finished = true;
    this.state = "ended";
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000);
  }

  private sendRaw(msg: unknown[]): boolean {
    if (!this.connected) return false;
    this.ws!.send(JSON.stringify(msg));
    return true;
  }

  /** input sends typed or pasted text; false when not connected (it is dropped). */
  input(text: string): boolean {
    return this.sendRaw(["stdin", text]);
  }

  /** setSize tells the shell the screen's size, now and after each reconnection. */
  setSize(rows: number, cols: number): void {
    if (rows < 1 || cols < 1) return;
    this.size = [rows, cols];
    this.sendRaw(["set_size", rows, cols]);
  }

  /** close ends the connection for good (the page is leaving). */
  close(): void {
    this.end();
  }
}
