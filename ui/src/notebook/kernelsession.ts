// The notebook's kernel: the kernel specs, the session tying this notebook
// to a kernel, the connection to it, and the user's actions on it (start,
// pick, change, interrupt, restart). KernelStatusView shows the result.
import { ApiError, kernels, kernelspecs, sessions, type KernelSpecs, type SessionModel } from "../api";
import { confirmDialog, errText, notify } from "../dialog";
import { KernelConnection, type ConnectionEvents, type KernelMessage, type RequestHandlers } from "./kernel";
import type { KernelStatusView } from "./kernelstatus";
import { infoLanguage, type Json } from "./model";
import { clientIdFor, forgetRuns } from "./runstore";

export interface KernelSessionHost {
  /** notebookPath is where the notebook is now (a rename moves it). */
  notebookPath(): string;
  /** metadata is the notebook's metadata: kernelspec is read and set there, language_info set. */
  metadata(): Json;
  changed(): void;
  /** clearRunning: the runs in flight are lost. */
  clearRunning(): void;
  runAll(): Promise<void>;
  setLanguage(name: string): void;
  /** noKernel: the notebook was opened to run no kernel ("No kernel" chosen for it). */
  noKernel(): boolean;
  /** kernelChosen: a kernel was picked for a notebook that had none. */
  kernelChosen(): void;
  /** adopt may claim replayed output of a run an earlier page started. */
  adopt(msgId: string, msg: KernelMessage): RequestHandlers | undefined;
  /** comm takes the kernel's comm messages (widgets). */
  comm?(msg: KernelMessage): void;
  /** kernelLost: the kernel restarted, died or was changed; its comms are gone. */
  kernelLost?(): void;
}

export class KernelSession {
  /** asks: the outstanding ask() requests, answered null when the kernel is lost */
  private asks = new Set<(v: Record<string, unknown> | null) => void>();
  private kernel: KernelConnection | null = null;
  private session: SessionModel | null = null;
  private specs: KernelSpecs | null = null;

  constructor(
    private host: KernelSessionHost,
    private status: KernelStatusView,
  ) {}

  /** connection is the kernel's connection, once there is one. */
  get connection(): KernelConnection | null {
    return this.kernel;
  }

  /** waitConnected waits up to ms for the connection to be open, and tells whether it is. */
  async waitConnected(ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (this.kernel?.connected) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return !!this.kernel?.connected;
  }

  private displayName(name: string): string {
    return this.specs?.kernelspecs[name]?.spec.display_name ?? name;
  }

  /** showName shows kernelspec name's display name and logo in the header. */
  private showName(name: string): void {
    this.status.setName(this.displayName(name), this.specs?.kernelspecs[name]?.resources?.["logo-64x64"]);
  }

  private async pickKernel(title: string, message: string): Promise<string | null> {
    if (!this.specs || Object.keys(this.specs.kernelspecs).length === 0) {
      notify("No kernels are installed on the server.", "error");
      return null;
    }
    const ks = this.host.metadata().kernelspec as Json | undefined;
    const current = this.session?.kernel.name ?? (typeof ks?.name === "string" ? ks.name : null);
    // The picker is only needed when asked for: it loads then.
    let picker: typeof import("../kernelpicker");
    try {
      picker = await import("../kernelpicker");
    } catch (e) {
      notify("The kernel picker failed to load: " + errText(e), "error");
      return null;
    }
    const { pickKernel, preselect } = picker;
    const picked = await pickKernel(this.specs, { title, message, ok: "Select", selected: preselect(this.specs, current, false), allowNone: false });
    return picked || null;
  }

  private events(): ConnectionEvents {
    return {
      state: (s) => this.status.setState(s),
      connection: (up, d) => this.status.connection(up, d),
      dead: () => this.onDead(),
      unresponsive: (reason) => this.status.showUnresponsive(reason),
      info: (content) => {
        const li = content.language_info as Json | undefined;
        if (!li) return;
        const name = infoLanguage(li);
        if (typeof name === "string") this.host.setLanguage(name);
        const md = this.host.metadata();
        const cur = md.language_info as Json | undefined;
        if (!cur || cur.name !== li.name) md.language_info = li;
      },
      restarted: () => {
        this.host.kernelLost?.();
        this.lost();
        if (this.kernel) forgetRuns(this.kernel.kernelId, null);
      },
      clientId: (kernelId) => clientIdFor(kernelId),
      adopt: (msgId, msg) => this.host.adopt(msgId, msg),
      comm: (msg) => this.host.comm?.(msg),
      settled: (msgId) => {
        if (this.kernel) forgetRuns(this.kernel.kernelId, [msgId]);
      },
    };
  }

  /** start starts (or joins) the kernel the notebook asks for, asking for another when that one is not installed. */
  async start(): Promise<void> {
    try {
      this.specs = await kernelspecs.list();
    } catch (e) {
      notify("Cannot list kernels: " + errText(e), "error");
      this.status.setState("disconnected");
      return;
    }
    if (this.host.noKernel()) {
      this.status.withoutKernel();
      return;
    }
    const ks = this.host.metadata().kernelspec as Json | undefined;
    let name = typeof ks?.name === "string" ? ks.name : "";
    if (!name) name = this.specs.default;
    if (!this.specs.kernelspecs[name]) {
      const picked = await this.pickKernel("Select a kernel", `The kernel “${name}” this notebook uses is not installed here. Pick another one:`);
      if (!picked) {
        this.status.setName("No kernel");
        this.status.setState("disconnected");
        return;
      }
      name = picked;
      this.setKernelSpecMeta(name);
      this.host.changed();
    }
    await this.openSession(name);
  }

  private setKernelSpecMeta(name: string): void {
    const spec = this.specs?.kernelspecs[name]?.spec;
    this.host.metadata().kernelspec = { name, display_name: spec?.display_name ?? name, language: spec?.language ?? "" };
  }

  private connectTo(kernelId: string): void {
    if (this.kernel) this.kernel.switchKernel(kernelId);
    else {
      this.kernel = new KernelConnection(kernelId, this.events());
      this.kernel.connect();
    }
  }

  private async openSession(name: string): Promise<void> {
    this.status.setState("starting");
    this.showName(name);
    try {
      this.session = await sessions.create(this.host.notebookPath(), name);
    } catch (e) {
      notify("The kernel did not start: " + errText(e), "error");
      this.status.setState("dead");
      this.status.showDead();
      return;
    }
    const kname = this.session.kernel.name || name;
    this.showName(kname);
    if (!this.host.metadata().kernelspec) this.setKernelSpecMeta(kname);
    const lang = this.specs?.kernelspecs[kname]?.spec.language;
    if (lang) this.host.setLanguage(lang);
    this.connectTo(this.session.kernel.id);
  }

  private onDead(): void {
    this.lost();
    this.status.hideLost();
    this.status.showDead();
  }

  /** restartDead brings back a dead kernel: restarts it, or starts a new one when it is gone. */
  async restartDead(): Promise<void> {
    this.status.hideDead();
    this.status.setState("restarting");
    const k = this.kernel;
    if (k) {
      try {
        await kernels.restart(k.kernelId);
        k.switchKernel(k.kernelId);
        return;
      } catch {
        /* gone: start a new one below */
      }
    }
    const ks = this.host.metadata().kernelspec as Json | undefined;
    const name = (typeof ks?.name === "string" && this.specs?.kernelspecs[ks.name] ? ks.name : this.specs?.default) ?? "";
    if (this.session) {
      try {
        await sessions.remove(this.session.id);
      } catch {
        /* already gone */
      }
    }
    await this.openSession(name);
  }

  async interrupt(): Promise<void> {
    if (!this.kernel) return;
    try {
      await kernels.interrupt(this.kernel.kernelId);
    } catch (e) {
      notify("Interrupt failed: " + errText(e), "error");
    }
  }

  /** restart restarts the kernel (after asking), then runs every cell when runAll. */
  async restart(runAll: boolean): Promise<void> {
    const k = this.kernel;
    if (!k) {
      notify("There is no kernel to restart.", "error");
      return;
    }
    const ok = await confirmDialog(
      runAll ? "Restart and run all" : "Restart kernel",
      runAll ? "Restart the kernel and run every cell? All variables are lost." : "Restart the kernel? All variables are lost.",
      "Restart",
      true,
    );
    if (!ok) return;
    this.lost();
    forgetRuns(k.kernelId, null);
    // Off the old connection first: its sockets point at the old process.
    k.suspend();
    try {
      await kernels.restart(k.kernelId);
    } catch (e) {
      notify("Restart failed: " + errText(e), "error");
      if (e instanceof ApiError && e.status === 404) this.onDead();
      else k.switchKernel(k.kernelId);
      return;
    }
    this.status.hideDead();
    k.switchKernel(k.kernelId);
    if (runAll) {
      if (await this.waitConnected(60_000)) await this.host.runAll();
      else notify("The kernel did not come back, so nothing was run.", "error");
    }
  }

  /** changeKernel asks which kernel to use and switches the session to it. */
  async changeKernel(): Promise<void> {
    if (!this.specs) {
      try {
        this.specs = await kernelspecs.list();
      } catch (e) {
        notify("Cannot list kernels: " + errText(e), "error");
        return;
      }
    }
    const name = await this.pickKernel("Change kernel", "Start which kernel for this notebook? The current kernel's state is lost.");
    if (!name) return;
    this.lost();
    if (!this.session) {
      this.setKernelSpecMeta(name);
      this.host.changed();
      this.host.kernelChosen();
      await this.openSession(name);
      return;
    }
    // Off the old kernel first, so nothing is sent to it while it goes.
    this.kernel?.suspend("starting");
    if (this.kernel) forgetRuns(this.kernel.kernelId, null);
    try {
      this.session = await sessions.changeKernel(this.session.id, name);
    } catch (e) {
      notify("Changing the kernel failed: " + errText(e), "error");
      this.kernel?.switchKernel(this.kernel.kernelId);
      return;
    }
    this.setKernelSpecMeta(name);
    this.host.changed();
    this.showName(name);
    const lang = this.specs.kernelspecs[name]?.spec.language;
    if (lang) this.host.setLanguage(lang);
    this.status.hideDead();
    this.connectTo(this.session.kernel.id);
  }

  /** moved tells the session that the notebook is now at path. */
  async moved(path: string): Promise<void> {
    if (!this.session) return;
    try {
      this.session = await sessions.setPath(this.session.id, path);
    } catch (e) {
      notify("Renamed, but the kernel session was not updated: " + errText(e), "error");
    }
  }

  /** lost: the runs and requests in flight are lost (restart, dead kernel, kernel change). */
  private lost(): void {
    this.host.clearRunning();
    const waiting = [...this.asks];
    this.asks.clear();
    for (const w of waiting) w(null);
  }

  /**
   * ask sends one shell request (completion, inspection) and resolves with
   * its reply's content; null when there is no connection, or when the
   * kernel restarts or goes before it answers. A busy kernel answers when
   * it is done (the shell channel queues).
   */
  ask(msgType: string, content: Record<string, unknown>): Promise<Record<string, unknown> | null> {
    const k = this.kernel;
    if (!k || !k.connected) return Promise.resolve(null);
    return new Promise((resolve) => {
      const done = (v: Record<string, unknown> | null) => {
        this.asks.delete(done);
        resolve(v);
      };
      this.asks.add(done);
      try {
        k.send("shell", msgType, content, { reply: (msg) => done(msg.content) });
      } catch {
        done(null);
      }
    });
  }

  /**
   * exitRequested honours an ask_exit payload (exit() or quit() in the
   * kernel): as Jupyter's consoles do, the kernel is shut down unless the
   * code asked to keep it; the page then shows the kernel as gone, with
   * its offer to start it again.
   */
  async exitRequested(keepKernel: boolean): Promise<void> {
    const k = this.kernel;
    if (!k) return;
    if (keepKernel) {
      notify("The code asked to exit but to keep the kernel: it keeps running.");
      return;
    }
    notify("The code asked the kernel to exit: it is shut down. Start it again from the banner.");
    try {
      await kernels.shutdown(k.kernelId);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) notify("Shutting the kernel down failed: " + errText(e), "error");
    }
  }

  /** shutdown ends the notebook's session, which shuts its kernel down. */
  async shutdown(): Promise<void> {
    const s = this.session;
    this.lost();
    this.kernel?.close();
    if (!s) return;
    try {
      await sessions.remove(s.id);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
    }
    this.session = null;
  }

  /** close closes the connection (the page is being left). */
  close(): void {
    this.kernel?.close();
  }
}
