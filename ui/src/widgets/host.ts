// Jupyter widgets on the notebook page, the part that is always loaded:
// it watches the kernel's comm messages and the notebook's saved widget
// state, and loads the widget libraries (manager.ts, a chunk of its own)
// only when a notebook uses widgets. Messages that arrive while the chunk
// loads are queued and delivered in order.
import type { KernelMessage } from "../notebook/kernel";

/** The MIME type of a widget view in an output. */
export const WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json";
/** The notebook metadata key holding saved widget state (JupyterLab's). */
export const WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json";
/** The comm target of ipywidgets. */
export const WIDGET_TARGET = "jupyter.widget";

/** A CommSender sends on the kernel's shell channel; it throws when not connected. */
export interface CommSender {
  send(
    msgType: "comm_open" | "comm_msg" | "comm_close" | "comm_info_request",
    content: Record<string, unknown>,
    handlers: { iopub?(msg: KernelMessage): void; reply?(msg: KernelMessage): void; noReply?: boolean },
    metadata?: Record<string, unknown>,
    buffers?: (ArrayBuffer | ArrayBufferView)[],
  ): string;
}

/** What manager.ts provides (see there). */
export interface WidgetManagerAPI {
  comm(msg: KernelMessage): void;
  render(modelId: string, el: HTMLElement): Promise<boolean>;
  /** captured appends an output message to the Output widget of comm commId. */
  captured(commId: string, msg: KernelMessage): void;
  state(): Promise<Record<string, unknown> | null>;
  loadState(state: Record<string, unknown>, trusted: boolean): Promise<void>;
  kernelLost(): void;
}

type ManagerModule = typeof import("./manager");

/** A queued item: a comm message, or an output captured by an Output widget. */
type Queued = { msg: KernelMessage; capturedBy?: string };

/** The output messages an Output widget captures. */
const CAPTURED = new Set(["stream", "display_data", "execute_result", "error", "clear_output"]);

export class WidgetHost {
  private manager: WidgetManagerAPI | null = null;
  private loading: Promise<WidgetManagerAPI> | null = null;
  private queue: Queued[] = [];
  /** known: comm ids of widget comms (so that their messages wake the manager) */
  private known = new Set<string>();
  /** outputs: the Output widgets' comm ids and the request each captures now
   *  ("" none), followed as the messages arrive, so that capturing keeps the
   *  kernel's order even while the libraries or the models still load */
  private outputs = new Map<string, string>();

  constructor(private sender: () => CommSender | null) {}

  /** used: the widget libraries are loaded (a widget was seen). */
  get used(): boolean {
    return this.manager !== null || this.loading !== null;
  }

  private load(): Promise<WidgetManagerAPI> {
    if (!this.loading) {
      this.loading = import("./manager").then((m: ManagerModule) => {
        const manager = m.createManager(this.sender, (parent, msg) => this.capture(parent, msg));
        this.manager = manager;
        const q = this.queue;
        this.queue = [];
        for (const e of q) {
          if (e.capturedBy) manager.captured(e.capturedBy, e.msg);
          else manager.comm(e.msg);
        }
        return manager;
      });
    }
    return this.loading;
  }

  /** comm takes every comm message from the kernel. */
  comm(msg: KernelMessage): void {
    const c = msg.content;
    const id = String(c.comm_id ?? "");
    const data = (c.data ?? {}) as { state?: Record<string, unknown>; method?: string };
    switch (msg.header.msg_type) {
      case "comm_open":
        if (c.target_name !== WIDGET_TARGET) return; // no other comm targets on this page
        this.known.add(id);
        if (data.state?._model_name === "OutputModel") this.outputs.set(id, String(data.state.msg_id ?? ""));
        break;
      case "comm_msg":
        if (!this.known.has(id)) return;
        if (this.outputs.has(id) && data.method === "update" && data.state && "msg_id" in data.state) {
          this.outputs.delete(id); // re-added last: the most recent capture is the innermost
          this.outputs.set(id, String(data.state.msg_id ?? ""));
        }
        break;
      case "comm_close":
        if (!this.known.has(id)) return;
        this.known.delete(id);
        this.outputs.delete(id);
        break;
      default:
        return;
    }
    if (this.manager) {
      this.manager.comm(msg);
      return;
    }
    this.queue.push({ msg });
    void this.load();
  }

  /** render draws the widget view of a widget-view+json output into el;
   *  false when there is no such model (the caller shows the text fallback). */
  async render(data: unknown, el: HTMLElement): Promise<boolean> {
    const id = (data as { model_id?: unknown } | null)?.model_id;
    if (typeof id !== "string" || !id) return false;
    const m = this.manager ?? (this.known.size || this.loading ? await this.load() : null);
    if (!m) return false;
    return m.render(id, el);
  }

  /** capture hands an iopub message to an Output widget that captures its
   *  request's output; true when one took it. */
  capture(parentMsgId: string, msg: KernelMessage): boolean {
    if (!parentMsgId || !CAPTURED.has(msg.header.msg_type)) return false;
    let id = "";
    for (const [comm, msgId] of this.outputs) if (msgId === parentMsgId) id = comm;
    if (!id) return false;
    if (this.manager) this.manager.captured(id, msg);
    else this.queue.push({ msg, capturedBy: id });
    return true;
  }

  /** state is the widget state to save in the notebook's metadata, or null when there are no widgets. */
  async state(): Promise<Record<string, unknown> | null> {
    return this.manager ? this.manager.state() : null;
  }

  /** loadSaved reads the notebook's saved widget state (metadata.widgets), so
   *  that its widget outputs show without a kernel. */
  async loadSaved(metadata: Record<string, unknown>, trusted: boolean): Promise<void> {
    const w = metadata.widgets as Record<string, unknown> | undefined;
    const state = w?.[WIDGET_STATE_MIME] as Record<string, unknown> | undefined;
    if (!state || typeof state !== "object" || !state.state || typeof state.state !== "object") return;
    if (Object.keys(state.state as object).length === 0) return;
    const m = await this.load();
    await m.loadState(state, trusted);
  }

  /** kernelLost: the kernel restarted or changed; its widgets are gone. */
  kernelLost(): void {
    this.known.clear();
    this.outputs.clear();
    this.queue = [];
    this.manager?.kernelLost();
  }
}
