// Running cells: execute requests, their messages routed back to the cell
// that sent them (outputs, input() prompts, the reply), Jupyter's "stop the
// queue on error", display ids updated across cells, and the runs an
// earlier page started whose output the server replays.
import { errText, notify } from "../dialog";
import type { MimeBundle, OutputArea } from "../outputs/index";
import { outputOf } from "../outputs/message";
import type { Cell } from "./cell";
import type { KernelConnection, KernelMessage, RequestHandlers } from "./kernel";
import type { Json } from "./model";
import { forgetRuns, lookupRun, rememberRun } from "./runstore";
import { recordTiming } from "./timing";

/** A RunBatch is the cells one run command queued: an error stops the rest. */
interface RunBatch {
  cells: Cell[];
  ids: Map<Cell, string>;
  stopped: boolean;
}

export interface RunnerHost {
  /** notebookPath is where the notebook is now (a rename moves it). */
  notebookPath(): string;
  cells(): readonly Cell[];
  /** kernel is the connection runs go to, if any. */
  kernel(): KernelConnection | null;
  waitConnected(ms: number): Promise<boolean>;
  changed(): void;
  updateTrust(): void;
  /** inEditMode: a cell editor has the focus. */
  inEditMode(): boolean;
  /** refocus gives the focus back to cell if it is the active one (after an input() prompt). */
  refocus(cell: Cell): void;
  /** capture gives an Output widget the output of the request it captures; true when one took it. */
  capture?(msg: KernelMessage): boolean;
  /** page shows a "page" payload's bundle in the pager, scrolled to line start. */
  page(data: MimeBundle, start: number): void;
  /** setNextInput puts text into the cell after cell, or into cell itself when replace. */
  setNextInput(cell: Cell, text: string, replace: boolean): void;
  /** askExit: the code asked the kernel to exit (keepKernel: but to keep it running). */
  askExit(keepKernel: boolean): void;
  /** recordTiming: runs record their messages' dates in metadata.execution (timing.ts). */
  recordTiming(): boolean;
}

/** cellKey names a cell for a run remembered across page loads. */
function cellKey(cell: Cell): string {
  return cell.data.id ?? "#" + cell.index;
}

export class CellRunner {
  private batches = new Set<RunBatch>();
  /** runIds: the request each running cell waits for. */
  private runIds = new WeakMap<Cell, string>();
  private displays = new Map<string, Set<OutputArea>>();

  constructor(private host: RunnerHost) {}

  async runCells(cells: readonly Cell[]): Promise<void> {
    for (const c of cells) if (c.type === "markdown") c.renderMd();
    const code = cells.filter((c) => c.type === "code");
    if (code.length === 0) return;
    if (!this.host.kernel()?.connected) {
      // Starting, or a connection is being opened: wait for it rather than refuse.
      const k = this.host.kernel();
      const starting = !!k && k.state !== "disconnected" && k.state !== "dead" && (k.connecting || k.state === "starting" || k.state === "restarting");
      if (!starting || !(await this.host.waitConnected(60_000))) {
        notify("Not connected to the kernel, so nothing was run. Wait for the connection to come back, or restart the kernel.", "error");
        return;
      }
    }
    const batch: RunBatch = { cells: code, ids: new Map(), stopped: false };
    this.batches.add(batch);
    for (const c of code) {
      if (batch.stopped) break;
      if (!this.execute(c, batch)) break;
    }
    // A kernel that is not responding gets them all the same: the server
    // queues them, and it runs them if it comes back (as behind a busy one).
    if (batch.ids.size > 0 && this.host.kernel()?.state === "unresponsive") {
      notify(`The kernel is not responding: ${batch.ids.size > 1 ? "these cells run" : "the cell runs"} when it answers again.`);
    }
    this.host.updateTrust();
  }

  private execute(cell: Cell, batch: RunBatch): boolean {
    const k = this.host.kernel();
    if (!k || !k.connected) {
      notify("Not connected to the kernel, so the cell was not run.", "error");
      return false;
    }
    const area = cell.ensureArea();
    cell.clearOutputs();
    cell.setTrusted(true);
    const code = cell.data.source;
    if (!code.trim()) {
      cell.data.execution_count = null;
      cell.updatePrompt();
      this.host.changed();
      return true;
    }
    let msgId = "";
    const ref = { id: "" };
    try {
      msgId = k.send(
        "shell",
        "execute_request",
        { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: true, stop_on_error: true },
        this.runHandlers(cell, area, batch, ref),
      );
      ref.id = msgId;
    } catch (e) {
      notify(errText(e) + " The cell was not run.", "error");
      return false;
    }
    // A run's timing starts afresh; without recording, an old one goes (it would be stale).
    delete cell.data.metadata.execution;
    cell.showTiming();
    rememberRun(k.kernelId, msgId, this.host.notebookPath(), cellKey(cell));
    batch.ids.set(cell, msgId);
    this.runIds.set(cell, msgId);
    cell.setRunning(true);
    this.host.changed();
    return true;
  }

  private runHandlers(cell: Cell, area: OutputArea, batch: RunBatch, ref: { id: string }): RequestHandlers {
    return {
      iopub: (msg) => this.onIopub(cell, area, msg),
      stdin: (msg) => void this.onStdin(cell, msg),
      reply: (msg) => this.onReply(cell, batch, ref.id, msg),
    };
  }

  /** adopt claims replayed messages of a run an earlier page started. */
  adopt(msgId: string, msg: KernelMessage): RequestHandlers | undefined {
    const k = this.host.kernel();
    if (!k) return undefined;
    const r = lookupRun(k.kernelId, msgId);
    if (!r || r.path !== this.host.notebookPath()) return undefined;
    if (msg.channel === "iopub" && msg.header.msg_type === "status" && msg.content.execution_state === "idle") {
      forgetRuns(k.kernelId, [msgId]);
      return undefined;
    }
    const cell = this.host.cells().find((c) => cellKey(c) === r.cell);
    if (!cell || cell.type !== "code") return undefined;
    const area = cell.ensureArea();
    cell.setTrusted(true);
    cell.showOutputs();
    const batch: RunBatch = { cells: [cell], ids: new Map([[cell, msgId]]), stopped: false };
    this.runIds.set(cell, msgId);
    cell.setRunning(true);
    return this.runHandlers(cell, area, batch, { id: msgId });
  }

  private onIopub(cell: Cell, area: OutputArea, msg: KernelMessage): void {
    if (this.host.capture?.(msg)) return;
    const c = msg.content;
    const type = msg.header.msg_type;
    const current = this.runIds.get(cell) === msg.parent_header.msg_id;
    if (current && this.host.recordTiming() && recordTiming(cell.data.metadata, msg) && type === "status") {
      cell.showTiming();
      this.host.changed();
    }
    switch (type) {
      case "execute_input":
        if (typeof c.execution_count === "number") cell.data.execution_count = c.execution_count;
        return;
      case "clear_output":
        area.clear(c.wait === true);
        this.host.changed();
        return;
      case "update_display_data": {
        const id = (c.transient as { display_id?: string } | undefined)?.display_id;
        if (id) this.updateDisplay(id, (c.data ?? {}) as MimeBundle, (c.metadata ?? {}) as Record<string, unknown>);
        return;
      }
    }
    const out = outputOf(msg);
    if (!out) return;
    area.add(out);
    cell.showOutputs();
    if ((out.output_type === "display_data" || out.output_type === "execute_result") && out.transient?.display_id) this.registerDisplays(area);
    this.host.changed();
  }

  private async onStdin(cell: Cell, msg: KernelMessage): Promise<void> {
    if (msg.header.msg_type !== "input_request") return;
    const prompt = String(msg.content.prompt ?? "");
    const password = msg.content.password === true;
    const wasEdit = this.host.inEditMode();
    const value = await cell.askInput(prompt, password);
    try {
      this.host.kernel()?.send("stdin", "input_reply", { value }, undefined, msg.header);
    } catch (e) {
      notify("The input was not sent: " + errText(e), "error");
      return;
    }
    if (!password) {
      cell.ensureArea().add({ output_type: "stream", name: "stdout", text: prompt + value + "\n" });
      this.host.changed();
    }
    if (!wasEdit) this.host.refocus(cell);
  }

  private onReply(cell: Cell, batch: RunBatch, msgId: string, msg: KernelMessage): void {
    if (msg.header.msg_type !== "execute_reply") return;
    const c = msg.content;
    const mine = this.runIds.get(cell) === msgId;
    if (mine && this.host.recordTiming() && recordTiming(cell.data.metadata, msg)) cell.showTiming();
    if (mine) {
      if (typeof c.execution_count === "number") cell.data.execution_count = c.execution_count;
      cell.setRunning(false);
      cell.removeStdin();
    }
    const status = String(c.status ?? "");
    if ((status === "error" || status === "aborted") && !batch.stopped) {
      batch.stopped = true;
      // Jupyter semantics: the rest of the queue does not run.
      const i = batch.cells.indexOf(cell);
      const k = this.host.kernel();
      for (const later of batch.cells.slice(i + 1)) {
        const id = batch.ids.get(later);
        if (id && this.runIds.get(later) === id) {
          k?.forget(id);
          if (k) forgetRuns(k.kernelId, [id]);
          later.setRunning(false);
        }
      }
    }
    if (status === "ok" && Array.isArray(c.payload)) this.payloads(cell, c.payload as Json[]);
    if (batch.cells.every((x) => !x.running || this.runIds.get(x) !== batch.ids.get(x))) this.batches.delete(batch);
    this.host.changed();
  }

  /**
   * payloads does what an execute_reply's payloads ask: "page" shows text in
   * the pager (not as an output), "set_next_input" fills the next cell (or
   * replaces this one's source), "ask_exit" ends the kernel.
   */
  private payloads(cell: Cell, payloads: Json[]): void {
    for (const p of payloads) {
      if (!p || typeof p !== "object") continue;
      switch (p.source) {
        case "page":
          if (p.data && typeof p.data === "object") this.host.page(p.data as MimeBundle, typeof p.start === "number" ? p.start : 0);
          break;
        case "set_next_input":
          if (typeof p.text === "string") this.host.setNextInput(cell, p.text, p.replace === true);
          break;
        case "ask_exit":
          this.host.askExit(p.keepkernel === true);
          break;
      }
    }
  }

  /** clearRunning: every run in flight is lost (restart, dead kernel, kernel change). */
  clearRunning(): void {
    for (const c of this.host.cells()) {
      if (c.running) c.setRunning(false);
      c.removeStdin();
    }
    for (const b of this.batches) b.stopped = true;
    this.batches.clear();
  }

  /** registerDisplays records the display ids an area shows. */
  registerDisplays(area: OutputArea): void {
    for (const id of area.displayIds()) {
      let s = this.displays.get(id);
      if (!s) this.displays.set(id, (s = new Set()));
      s.add(area);
    }
  }

  /** forgetDisplays drops every display id (the cells were replaced). */
  forgetDisplays(): void {
    this.displays.clear();
  }

  private updateDisplay(id: string, data: MimeBundle, metadata: Record<string, unknown>): void {
    const s = this.displays.get(id);
    if (!s) return;
    for (const a of s) {
      if (!a.element.isConnected) {
        s.delete(a);
        continue;
      }
      a.updateDisplay(id, data, metadata);
    }
    this.host.changed();
  }
}
