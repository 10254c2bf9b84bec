// The widget manager: ipywidgets 8's front end (@jupyter-widgets/base and
// controls) on Quire's kernel connection. Loaded as a chunk of its own,
// only by a notebook that uses widgets (host.ts).
//
// Comms: the kernel's comm_open for "jupyter.widget" creates a model
// (ManagerBase.handle_comm_open); a model's changes go back as comm_msg on
// the shell channel, with the idle status of each reported to its
// callbacks (WidgetModel throttles on them). The Output widget is Quire's
// own (the one ipywidgets ships is JupyterLab's): while its msg_id names a
// request, that request's outputs go to the widget, not to the cell.
import "@jupyter-widgets/base/css/index.css";
import "@jupyter-widgets/controls/css/widgets.css";
import "./widgets.css";
import * as base from "@jupyter-widgets/base";
import { ManagerBase } from "@jupyter-widgets/base-manager";
import type { IClassicComm, ICallbacks } from "@jupyter-widgets/base";
import { Widget } from "@lumino/widgets";
import { OutputArea, type Output } from "../outputs/index";
import { outputOf } from "../outputs/message";
import sanitizeHtml from "./sanitize-html";
import type { JSONObject, JSONValue } from "@lumino/coreutils";
import type { ObjectHash } from "backbone";
import type { KernelMessage } from "../notebook/kernel";
import { WIDGET_TARGET, type CommSender, type WidgetManagerAPI } from "./host";


/** Comm is one widget comm over Quire's kernel connection. */
class Comm implements IClassicComm {
  private onMsg: ((msg: unknown) => void) | null = null;
  private onClose: ((msg: unknown) => void) | null = null;

  constructor(
    readonly comm_id: string,
    readonly target_name: string,
    private sender: () => CommSender | null,
    /** capture offers output caused by this comm's messages (a slider's
     *  callback printing) to the Output widgets first */
    private capture: (parentMsgId: string, msg: KernelMessage) => boolean,
  ) {}

  private send_(type: "comm_open" | "comm_msg" | "comm_close", content: Record<string, unknown>, callbacks?: ICallbacks, metadata?: JSONObject, buffers?: ArrayBuffer[] | ArrayBufferView[]): string {
    const s = this.sender();
    if (!s) throw new Error("Not connected to the kernel.");
    return s.send(
      type,
      content,
      {
        noReply: true,
        iopub: (msg) => {
          if (this.capture(String(msg.parent_header?.msg_id ?? ""), msg)) return;
          const t = msg.header.msg_type;
          if (t === "status") callbacks?.iopub?.status?.(msg as never);
          else if (t === "clear_output") callbacks?.iopub?.clear_output?.(msg as never);
          else callbacks?.iopub?.output?.(msg as never);
        },
      },
      metadata as Record<string, unknown> | undefined,
      buffers as (ArrayBuffer | ArrayBufferView)[] | undefined,
    );
  }

  open(data: JSONValue, callbacks?: ICallbacks, metadata?: JSONObject, buffers?: ArrayBuffer[] | ArrayBufferView[]): string {
    return this.send_("comm_open", { comm_id: this.comm_id, target_name: this.target_name, data }, callbacks, metadata, buffers);
  }

  send(data: JSONValue, callbacks?: ICallbacks, metadata?: JSONObject, buffers?: ArrayBuffer[] | ArrayBufferView[]): string {
    return this.send_("comm_msg", { comm_id: this.comm_id, data }, callbacks, metadata, buffers);
  }

  close(data?: JSONValue, callbacks?: ICallbacks, metadata?: JSONObject, buffers?: ArrayBuffer[] | ArrayBufferView[]): string {
    const id = this.send_("comm_close", { comm_id: this.comm_id, data: data ?? {} }, callbacks, metadata, buffers);
    this.closed({ content: { comm_id: this.comm_id, data: data ?? {} } });
    return id;
  }

  on_msg(callback: (x: unknown) => void): void {
    this.onMsg = callback;
  }

  on_close(callback: (x: unknown) => void): void {
    this.onClose = callback;
  }

  /** received delivers a comm_msg from the kernel. */
  received(msg: KernelMessage): void {
    this.onMsg?.(msg);
  }

  /** closed: the comm is closed, by the kernel or by us. */
  closed(msg: unknown): void {
    const f = this.onClose;
    this.onClose = null;
    this.onMsg = null;
    f?.(msg);
  }
}

/** The Output widget's model: outputs captured while msg_id names a request. */
class OutputModel extends base.DOMWidgetModel {
  defaults(): ObjectHash {
    return {
      ...super.defaults(),
      _model_name: "OutputModel",
      _view_name: "OutputView",
      _model_module: "@jupyter-widgets/output",
      _view_module: "@jupyter-widgets/output",
      _model_module_version: "1.0.0",
      _view_module_version: "1.0.0",
      msg_id: "",
      outputs: [],
    };
  }

  /** add appends one output (from a captured message) and tells the kernel. */
  add(out: Output): void {
    const outs = [...((this.get("outputs") as Output[]) ?? []), out];
    this.set("outputs", outs);
    this.save_changes();
  }

  clearOutputs(): void {
    this.set("outputs", []);
    this.save_changes();
  }
}

class OutputView extends base.DOMWidgetView {
  private area: OutputArea | null = null;

  render(): void {
    this.el.classList.add("jupyter-widgets-output-area", "q-widget-output");
    this.area = new OutputArea({ trusted: (this.model.widget_manager as QuireManager).trusted, notebookPath: "" });
    this.el.append(this.area.element);
    this.listenTo(this.model, "change:outputs", () => this.update());
    this.update();
  }

  update(): void {
    this.area?.setOutputs(((this.model.get("outputs") as Output[]) ?? []).filter((o) => o && typeof o === "object"));
  }
}

/** Models whose string attributes are shown as HTML by their views. */
const HTML_MODELS = new Set(["HTMLModel", "HTMLMathModel"]);

export class QuireManager extends ManagerBase implements WidgetManagerAPI {
  private comms = new Map<string, Comm>();
  /** trusted: widget state from a trusted notebook or this session's kernel; untrusted HTML is sanitised */
  trusted = true;

  constructor(
    private sender: () => CommSender | null,
    /** capture is the host's: it offers an output message to the Output widgets (true: taken) */
    private capture: (parentMsgId: string, msg: KernelMessage) => boolean,
  ) {
    super();
  }

  protected async loadClass(className: string, moduleName: string, moduleVersion: string): Promise<typeof base.WidgetModel | typeof base.WidgetView> {
    let mod: Record<string, unknown>;
    switch (moduleName) {
      case "@jupyter-widgets/base":
        mod = base as unknown as Record<string, unknown>;
        break;
      case "@jupyter-widgets/controls":
        mod = (await import("@jupyter-widgets/controls")) as unknown as Record<string, unknown>;
        break;
      case "@jupyter-widgets/output":
        mod = { OutputModel, OutputView };
        break;
      default:
        throw new Error(`Widget module ${moduleName}@${moduleVersion} is not available in Quire (only @jupyter-widgets/base, controls and output).`);
    }
    const cls = mod[className];
    if (!cls) throw new Error(`Class ${className} not found in ${moduleName}@${moduleVersion}.`);
    return cls as typeof base.WidgetModel;
  }

  protected async _create_comm(target: string, modelId?: string, data?: JSONObject, metadata?: JSONObject, buffers?: ArrayBuffer[] | ArrayBufferView[]): Promise<IClassicComm> {
    const id = modelId ?? crypto.randomUUID().replace(/-/g, "");
    const comm = new Comm(id, target, this.sender, this.capture);
    this.comms.set(id, comm);
    if (data || metadata) comm.open(data ?? {}, undefined, metadata, buffers);
    return comm;
  }

  protected _get_comm_info(): Promise<Record<string, { target_name: string }>> {
    return new Promise((resolve) => {
      const s = this.sender();
      if (!s) {
        // No kernel (yet): no live comms, so saved state makes models of its own.
        resolve({});
        return;
      }
      s.send("comm_info_request", { target_name: WIDGET_TARGET }, { reply: (msg) => resolve((msg.content.comms ?? {}) as Record<string, { target_name: string }>) });
    });
  }

  /** inline_sanitize cleans the HTML of descriptions and labels (always). */
  inline_sanitize(source: string): string {
    return sanitizeHtml(source);
  }

  /** chain delivers the kernel's comm messages one after another, each
   *  after the previous one is handled: a comm_open's model is created
   *  (an asynchronous import) before the messages that follow reach it. */
  private chain: Promise<void> = Promise.resolve();

  comm(msg: KernelMessage): void {
    const c = msg.content;
    const id = String(c.comm_id ?? "");
    switch (msg.header.msg_type) {
      case "comm_open": {
        if (c.target_name !== WIDGET_TARGET || this.comms.has(id)) return;
        const comm = new Comm(id, WIDGET_TARGET, this.sender, this.capture);
        this.comms.set(id, comm);
        this.trusted = true; // state from this session's kernel
        this.chain = this.chain.then(() =>
          this.handle_comm_open(comm, msg as never).then(
            () => undefined,
            (e) => console.error("widget: could not create the model", e),
          ),
        );
        return;
      }
      case "comm_msg": {
        const comm = this.comms.get(id);
        if (comm) this.chain = this.chain.then(() => comm.received(msg));
        return;
      }
      case "comm_close": {
        const comm = this.comms.get(id);
        this.comms.delete(id);
        if (comm) this.chain = this.chain.then(() => comm.closed(msg));
        return;
      }
    }
  }

  async render(modelId: string, el: HTMLElement): Promise<boolean> {
    await this.chain; // the comm messages before the output are handled first
    if (!this.has_model(modelId)) return false;
    const model = await this.get_model(modelId);
    const view = await this.create_view(model, {});
    el.classList.add("q-widget");
    Widget.attach(view.luminoWidget, el);
    return true;
  }

  captured(commId: string, msg: KernelMessage): void {
    let out = msg.header.msg_type === "clear_output" ? null : outputOf(msg);
    if (out && "transient" in out) {
      // The widget's outputs go to the kernel as nbformat outputs: no transient.
      const { transient: _, ...saved } = out;
      out = saved;
    }
    this.chain = this.chain.then(async () => {
      const m = this.has_model(commId) ? await this.get_model(commId) : null;
      if (!(m instanceof OutputModel)) return;
      if (out) m.add(out);
      else m.clearOutputs();
    });
  }

  async state(): Promise<Record<string, unknown> | null> {
    const s = (await this.get_state({ drop_defaults: true })) as unknown as Record<string, unknown>;
    const models = s.state as Record<string, unknown> | undefined;
    if (!models || Object.keys(models).length === 0) return null;
    return s;
  }

  async loadState(state: Record<string, unknown>, trusted: boolean): Promise<void> {
    this.trusted = trusted;
    const st = state as { state: Record<string, { model_name?: string; state?: Record<string, unknown> }> };
    if (!trusted) {
      // Saved HTML widgets from a notebook nobody trusted show sanitised HTML.
      for (const m of Object.values(st.state)) {
        if (m?.model_name && HTML_MODELS.has(m.model_name) && m.state && typeof m.state.value === "string") {
          m.state.value = sanitizeHtml(m.state.value);
        }
      }
    }
    await this.set_state(state as never);
  }

  kernelLost(): void {
    for (const c of this.comms.values()) c.closed({ content: { comm_id: c.comm_id, data: {} } });
    this.comms.clear();
  }
}

export function createManager(sender: () => CommSender | null, capture: (parentMsgId: string, msg: KernelMessage) => boolean): QuireManager {
  return new QuireManager(sender, capture);
}
