// The kernel WebSocket (Jupyter's legacy protocol: JSON text frames, no
// subprotocol), with request/reply matching by parent msg_id and
// reconnection with backoff after network loss.
import { ApiError, kernels } from "../api";
import { backoffDelay } from "../backoff";
import { randomHex } from "./model";

export type Channel = "shell" | "iopub" | "stdin" | "control";

export interface MsgHeader {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

export interface KernelMessage {
  channel: Channel;
  header: MsgHeader;
  parent_header: Partial<MsgHeader>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
  buffers?: unknown[];
}

/**
 * "unresponsive": the kernel's REST model says it stopped answering
 * heartbeats while its process still runs (stopped, frozen, swapping). The
 * server sends no status for that (its execution_state stays), so the page
 * learns it by polling the model; the kernel may come back by itself, and
 * the server keeps forwarding what is sent to it meanwhile, so the
 * connection and the outstanding requests are kept.
 */
export type KernelState = "starting" | "idle" | "busy" | "restarting" | "disconnected" | "dead" | "unresponsive";

/** Handlers for the messages caused by one request. */
export interface RequestHandlers {
  iopub?(msg: KernelMessage): void;
  stdin?(msg: KernelMessage): void;
  reply?(msg: KernelMessage): void;
  /** noReply: the request has no reply (comm messages): it is settled by its idle status alone */
  noReply?: boolean;
}

interface Pending {
  handlers: RequestHandlers;
  replied: boolean;
  idle: boolean;
}

export interface ConnectionEvents {
  /** the kernel-level state shown in the header */
  state(state: KernelState): void;
  /** the WebSocket connection is (re)established: false → lost, true → back */
  connection(up: boolean, detail: { replaced?: boolean; attempt?: number; delay?: number }): void;
  /** the kernel is gone (iopub "dead": its process exited, or 404 after a close) */
  dead(): void;
  /** the kernel stopped answering but its process runs; reason is the server's */
  unresponsive(reason: string): void;
  /** kernel_info_reply content */
  info(content: Record<string, unknown>): void;
  /** the kernel restarted on its own or by request: running cells are lost */
  restarted(): void;
  /** clientId picks the WebSocket session id for a kernel (kept across page loads for output replay) */
  clientId(kernelId: string): string;
  /** adopt may claim a message whose request this page did not send (replayed output of an earlier page) */
  adopt(parentMsgId: string, msg: KernelMessage): RequestHandlers | undefined;
  /** settled: a request got both its reply and its idle status */
  settled(msgId: string): void;
  /** comm: a comm_open, comm_msg or comm_close from the kernel, whatever request caused it */
  comm?(msg: KernelMessage): void;
}

/**
 * POLL_MS: how often the kernel's REST model is read to notice that it stopped
 * answering (and that it is back), while that matters: requests of this page
 * are outstanding, or it is not responding.
 */
export const POLL_MS = 3000;

/** parseBinary decodes a legacy-protocol binary frame (big-endian offsets, part 0 = JSON). */
function parseBinary(buf: ArrayBuffer): KernelMessage | null {
  const dv = new DataView(buf);
  const n = dv.getUint32(0);
  if (n < 1) return null;
  const start = dv.getUint32(4);
  const end = n > 1 ? dv.getUint32(8) : buf.byteLength;
  const text = new TextDecoder().decode(new Uint8Array(buf, start, end - start));
  const msg = JSON.parse(text) as KernelMessage;
  const buffers: DataView[] = [];
  for (let i = 1; i < n; i++) {
    const s = dv.getUint32(4 + 4 * i);
    const e = i + 1 < n ? dv.getUint32(4 + 4 * (i + 1)) : buf.byteLength;
    buffers.push(new DataView(buf, s, e - s));
  }
  msg.buffers = buffers;
  return msg;
}

/** serializeBinary lays a message with buffers out as parseBinary reads
 *  it: the part count, each part's offset (big-endian uint32), the JSON
 *  (without buffers), then the buffers. */
export function serializeBinary(msg: KernelMessage, buffers: (ArrayBuffer | ArrayBufferView)[]): ArrayBuffer {
  const json = new TextEncoder().encode(JSON.stringify({ ...msg, buffers: undefined }));
  const parts: Uint8Array[] = [
    json,
    ...buffers.map((b) => (b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength))),
  ];
  const head = 4 * (parts.length + 1);
  const total = head + parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, parts.length);
  let off = head;
  parts.forEach((p, i) => {
    dv.setUint32(4 + 4 * i, off);
    out.set(p, off);
    off += p.byteLength;
  });
  return out.buffer;
}

export class KernelConnection {
  kernelId: string;
  clientId: string;
  state: KernelState = "starting";
  private ws: WebSocket | null = null;
  private pending = new Map<string, Pending>();
  private attempt = 0;
  private timer: number | null = null;
  private closedForGood = false;
  private opened = false;
  /** gen counts connect() calls: work for an older connection is dropped */
  private gen = 0;
  private openedAt = 0;
  /** statusSeq counts iopub statuses: a model fetched meanwhile is stale */
  private statusSeq = 0;
  /** heardSeq counts every message received: a polled model fetched meanwhile is stale */
  private heardSeq = 0;
  /** pollTimer: the next poll of the REST model, when one is wanted */
  private pollTimer: number | null = null;
  /** polling: a poll's request is in flight (polls never overlap) */
  private polling = false;

  constructor(kernelId: string, private events: ConnectionEvents) {
    this.kernelId = kernelId;
    this.clientId = events.clientId(kernelId);
    window.addEventListener("online", () => {
      if (!this.connected && !this.closedForGood && this.timer !== null) this.reconnectNow();
    });
  }

  /** connecting: a WebSocket is being opened. */
  get connecting(): boolean {
    return this.ws !== null && this.ws.readyState === WebSocket.CONNECTING;
  }

  get connected(): boolean {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  private setState(s: KernelState): void {
    this.state = s;
    this.events.state(s);
    this.syncPoll();
  }

  /** pollWanted: whether the REST model must be watched (see POLL_MS). */
  private get pollWanted(): boolean {
    return !this.closedForGood && (this.pending.size > 0 || this.state === "unresponsive");
  }

  /** syncPoll starts or stops the poll timer as pollWanted says. */
  private syncPoll(): void {
    if (this.pollWanted) {
      if (this.pollTimer === null && !this.polling) this.pollTimer = window.setTimeout(() => void this.poll(), POLL_MS);
    } else if (this.pollTimer !== null) {
      clearTimeout(this.pollTimer);
      this.pollTimer = null;
    }
  }

  /**
   * poll reads the REST model once: the only way to learn that the kernel
   * stopped answering heartbeats, and a way (besides any message from it)
   * to learn that it is back. A failed request changes nothing.
   */
  private async poll(): Promise<void> {
    this.pollTimer = null;
    if (!this.pollWanted) return;
    this.polling = true;
    const gen = this.gen;
    const seq = this.heardSeq;
    const id = this.kernelId;
    try {
      const m = await kernels.get(id);
      // Stale: another connection or kernel, or the kernel spoke meanwhile.
      if (gen !== this.gen || seq !== this.heardSeq || id !== this.kernelId || this.closedForGood) return;
      if (this.state === "restarting" || this.state === "dead") return;
      if (m.unresponsive) {
        this.goneUnresponsive(m.reason ?? "");
        return;
      }
      if (this.state !== "unresponsive") return;
      // It answers again.
      const s = m.execution_state;
      if (s === "dead") {
        this.dropPending();
        this.goneDead();
        this.ws?.close(1000);
      } else if (!this.connected) this.setState("disconnected");
      else if (s === "busy" || s === "idle" || s === "starting" || s === "restarting") this.setState(s);
      else this.setState("idle");
    } catch {
      /* unreachable, or gone (a close of the WebSocket tells): nothing changes */
    } finally {
      this.polling = false;
      this.syncPoll();
    }
  }

  /** connect opens the WebSocket (closing any previous one of this object). */
  connect(): void {
    this.gen++;
    this.closedForGood = false;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.syncPoll();
    const old = this.ws;
    this.ws = null;
    if (old) {
      try {
        old.close(1000);
      } catch {
        /* already closed */
      }
    }
    let ws: WebSocket;
    try {
      ws = new WebSocket(kernels.channelsUrl(this.kernelId, this.clientId));
    } catch {
      this.scheduleReconnect();
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.opened = false;
    // A connection that neither opens nor fails (a black-holed network) is
    // retried; the server may legitimately hold it up to 60 s for a
    // starting kernel.
    const openTimer = window.setTimeout(() => {
      if (ws === this.ws && ws.readyState === WebSocket.CONNECTING) {
        this.ws = null;
        ws.close();
        void this.onClosed(1006);
      }
    }, 75_000);
    ws.onopen = () => {
      clearTimeout(openTimer);
      if (ws !== this.ws) return;
      this.opened = true;
      this.openedAt = Date.now();
      this.attempt = 0;
      this.events.connection(true, {});
      void this.afterOpen();
    };
    ws.onmessage = (ev) => {
      if (ws !== this.ws) return;
      let msg: KernelMessage | null;
      try {
        msg = typeof ev.data === "string" ? (JSON.parse(ev.data) as KernelMessage) : parseBinary(ev.data as ArrayBuffer);
      } catch {
        return;
      }
      if (msg) this.dispatch(msg);
    };
    ws.onclose = (ev) => {
      clearTimeout(openTimer);
      if (ws !== this.ws) return;
      this.ws = null;
      void this.onClosed(ev.code);
    };
  }

  private async afterOpen(): Promise<void> {
    // The REST model knows whether the kernel is busy (e.g. still running
    // a cell from before the disconnect); kernel_info would queue behind it.
    const gen = this.gen;
    try {
      const m = await kernels.get(this.kernelId);
      if (gen !== this.gen) return;
      const s = m.execution_state;
      // Not responding keeps the state it had: the flag decides. Requests
      // still go: the server queues them for when it answers again.
      if (m.unresponsive) this.goneUnresponsive(m.reason ?? "");
      else if (s === "busy" || s === "idle" || s === "starting" || s === "restarting") this.setState(s);
      else if (s === "dead") {
        this.dropPending();
        this.setState("dead");
        this.events.dead();
        return;
      } else this.setState("idle");
    } catch {
      /* keep the current state */
    }
    // The socket may have closed while the model was read: onClosed owns that.
    if (gen !== this.gen || !this.connected) return;
    this.send("shell", "kernel_info_request", {}, {
      reply: (msg) => this.events.info(msg.content),
    });
  }

  private async onClosed(code: number): Promise<void> {
    if (this.closedForGood) return;
    const gen = this.gen;
    if (code === 4001) {
      // Another connection with our session took over: do not fight it.
      this.closedForGood = true;
      this.setState("disconnected");
      this.events.connection(false, { replaced: true });
      return;
    }
    // Is the kernel still there?
    const id = this.kernelId;
    let gone = false;
    let unresponsive: string | null = null;
    try {
      const m = await kernels.get(id);
      if (m.unresponsive) unresponsive = m.reason ?? "";
      else gone = m.execution_state === "dead";
    } catch (e) {
      // 404: gone; a network error: reconnect below
      gone = e instanceof ApiError && e.status === 404;
    }
    // Meanwhile the page may have moved on (kernel changed, restarted).
    if (gen !== this.gen || this.closedForGood) return;
    if (gone) {
      this.goneDead();
      return;
    }
    // Not responding says more than disconnected; the reconnection goes on.
    if (unresponsive !== null) this.goneUnresponsive(unresponsive);
    else this.setState("disconnected");
    this.scheduleReconnect();
  }

  private goneUnresponsive(reason: string): void {
    if (this.state === "unresponsive") return;
    this.setState("unresponsive");
    this.events.unresponsive(reason);
  }

  /**
   * onDeadStatus handles an iopub "dead": the kernel's process exited.
   * (Older servers also said "dead" for a kernel that only stopped
   * answering heartbeats, with "unresponsive" in its model: then the
   * connection and the requests in flight stay for when it is back.)
   */
  private async onDeadStatus(): Promise<void> {
    const gen = this.gen;
    const seq = this.statusSeq;
    let unresponsive: string | null = null;
    try {
      const m = await kernels.get(this.kernelId);
      if (m.unresponsive) unresponsive = m.reason ?? "";
    } catch {
      /* gone, or unreachable: treat as dead */
    }
    // A newer status (it came back, or a restart) or connection decides.
    if (gen !== this.gen || seq !== this.statusSeq || this.closedForGood) return;
    if (unresponsive !== null) {
      this.goneUnresponsive(unresponsive);
      return;
    }
    this.dropPending();
    this.goneDead();
    this.ws?.close(1000);
  }

  private goneDead(): void {
    this.closedForGood = true;
    this.setState("dead");
    this.events.dead();
  }

  private scheduleReconnect(): void {
    if (this.closedForGood) return;
    const delay = backoffDelay(this.attempt);
    this.attempt++;
    this.events.connection(false, { attempt: this.attempt, delay });
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = window.setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }

  /** reconnectNow skips the backoff wait. */
  reconnectNow(): void {
    this.attempt = 0;
    this.connect();
  }

  /** suspend closes the connection until connect() or switchKernel() (a restart in progress). */
  suspend(state: KernelState = "restarting"): void {
    this.close();
    this.dropPending();
    this.setState(state);
  }

  /** close ends the connection for good (page leaving, kernel changed). */
  close(): void {
    this.closedForGood = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.syncPoll();
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000);
  }

  /** switchKernel points the connection at another kernel and reconnects. */
  switchKernel(id: string): void {
    this.kernelId = id;
    this.clientId = this.events.clientId(id);
    this.dropPending();
    this.setState("starting");
    this.attempt = 0;
    this.connect();
  }

  /** dropPending forgets every outstanding request (after a restart). */
  dropPending(): void {
    this.pending.clear();
    this.syncPoll();
  }

  private dispatch(msg: KernelMessage): void {
    this.heardSeq++;
    const type = msg.header?.msg_type;
    const parentId = msg.parent_header?.msg_id;
    if (msg.channel === "iopub" && type === "status") {
      this.statusSeq++;
      const s = String(msg.content.execution_state ?? "");
      if (s === "busy" || s === "idle" || s === "starting") this.setState(s);
      else if (s === "restarting" || s === "autorestarting") {
        // A status the server buffered while we were away is history.
        const t = Date.parse(msg.header?.date ?? "");
        if (!(t && t < this.openedAt - 2000)) {
          this.setState("restarting");
          this.dropPending();
          this.events.restarted();
          // The server re-reads the kernel's ports only on a new WebSocket.
          this.reconnectNow();
          return;
        }
      } else if (s === "dead") {
        void this.onDeadStatus();
        return;
      }
    }
    if (msg.channel === "iopub" && (type === "comm_open" || type === "comm_msg" || type === "comm_close")) this.events.comm?.(msg);
    if (!parentId) return;
    let p = this.pending.get(parentId);
    if (!p) {
      const handlers = this.events.adopt(parentId, msg);
      if (!handlers) return;
      p = { handlers, replied: false, idle: false };
      this.pending.set(parentId, p);
      this.syncPoll();
    }
    if (msg.channel === "iopub") {
      // The handlers see the idle status too (its date ends a run's timing).
      if (type === "status" && msg.content.execution_state === "idle") p.idle = true;
      p.handlers.iopub?.(msg);
    } else if (msg.channel === "stdin") {
      p.handlers.stdin?.(msg);
    } else if (msg.channel === "shell" || msg.channel === "control") {
      if (type?.endsWith("_reply")) {
        p.replied = true;
        p.handlers.reply?.(msg);
      }
    }
    if ((p.replied || p.handlers.noReply) && p.idle) {
      this.pending.delete(parentId);
      this.syncPoll();
      this.events.settled(parentId);
    }
  }

  makeMessage(channel: Channel, msgType: string, content: Record<string, unknown>, parent: Partial<MsgHeader> = {}): KernelMessage {
    return {
      channel,
      header: {
        msg_id: randomHex(16),
        session: this.clientId,
        username: "",
        date: new Date().toISOString(),
        msg_type: msgType,
        version: "5.3",
      },
      parent_header: parent,
      metadata: {},
      content,
      buffers: [],
    };
  }

  /** send sends one message; throws when not connected (never drops silently).
   *  With buffers it goes as a binary frame (the legacy protocol's layout). */
  send(
    channel: Channel,
    msgType: string,
    content: Record<string, unknown>,
    handlers?: RequestHandlers,
    parent?: Partial<MsgHeader>,
    opts: { metadata?: Record<string, unknown>; buffers?: (ArrayBuffer | ArrayBufferView)[] } = {},
  ): string {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      throw new Error("Not connected to the kernel.");
    }
    const msg = this.makeMessage(channel, msgType, content, parent);
    if (opts.metadata) msg.metadata = opts.metadata;
    if (handlers) this.pending.set(msg.header.msg_id, { handlers, replied: false, idle: false });
    const buffers = opts.buffers ?? [];
    if (buffers.length) this.ws.send(serializeBinary(msg, buffers));
    else this.ws.send(JSON.stringify(msg));
    this.syncPoll();
    return msg.header.msg_id;
  }

  /** forget stops routing messages of one request (e.g. an aborted queue entry). */
  forget(msgId: string): void {
    this.pending.delete(msgId);
    this.syncPoll();
  }

  get wasOpened(): boolean {
    return this.opened;
  }
}
