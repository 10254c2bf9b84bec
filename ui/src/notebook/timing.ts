// Execution timing, recorded in metadata.execution as JupyterLab does with
// "record timing" on: the date of each of a run's messages, as the kernel
// stamped it in the message header (the execute_reply also carries, in its
// metadata, when the kernel started the code). Shown under the cell as
// "3.2 s, 14:03": how long the run took, and when it finished.
import type { Json } from "./model";

/** The keys of metadata.execution, in the order a run produces them. */
export const TIMING_KEYS = [
  "iopub.status.busy",
  "iopub.execute_input",
  "shell.execute_reply.started",
  "shell.execute_reply",
  "iopub.status.idle",
] as const;

export type TimingKey = (typeof TIMING_KEYS)[number];

/** TimingMessage is what timingKey reads of a kernel message. */
export interface TimingMessage {
  channel: string;
  header: { msg_type: string; date?: string };
  metadata?: Record<string, unknown>;
  content: Record<string, unknown>;
}

/**
 * timingEntries is what msg adds to metadata.execution: its header date
 * under the key its type and state name, and for an execute_reply the
 * kernel's "started" date. Messages without a date add nothing.
 */
export function timingEntries(msg: TimingMessage): Partial<Record<TimingKey, string>> {
  const out: Partial<Record<TimingKey, string>> = {};
  const date = typeof msg.header.date === "string" && msg.header.date ? msg.header.date : undefined;
  const type = msg.header.msg_type;
  if (msg.channel === "iopub") {
    if (type === "status") {
      const s = msg.content.execution_state;
      if ((s === "busy" || s === "idle") && date) out[`iopub.status.${s}`] = date;
    } else if (type === "execute_input" && date) out["iopub.execute_input"] = date;
  } else if (msg.channel === "shell" && type === "execute_reply") {
    if (date) out["shell.execute_reply"] = date;
    const started = msg.metadata?.started;
    if (typeof started === "string" && started) out["shell.execute_reply.started"] = started;
  }
  return out;
}

/** recordTiming adds msg's dates to md.execution (made when missing); it reports whether anything was added. */
export function recordTiming(md: Json, msg: TimingMessage): boolean {
  const add = timingEntries(msg);
  if (Object.keys(add).length === 0) return false;
  const cur = md.execution;
  const base = typeof cur === "object" && cur !== null && !Array.isArray(cur) ? (cur as Json) : {};
  md.execution = { ...base, ...add };
  return true;
}

/** A Run is when a run began and ended, in ms since the epoch. */
export interface Run {
  start: number;
  end: number;
}

function dateOf(ex: Json, key: TimingKey): number | null {
  const v = ex[key];
  if (typeof v !== "string") return null;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : null;
}

/**
 * runOf is the run md.execution records, once it has ended: from when the
 * kernel started the code (else its execute_input, else busy) to its reply
 * (else idle). null while it runs or when the dates are missing.
 */
export function runOf(md: Json): Run | null {
  const ex = md.execution;
  if (typeof ex !== "object" || ex === null || Array.isArray(ex)) return null;
  const e = ex as Json;
  const start = dateOf(e, "shell.execute_reply.started") ?? dateOf(e, "iopub.execute_input") ?? dateOf(e, "iopub.status.busy");
  const end = dateOf(e, "shell.execute_reply") ?? dateOf(e, "iopub.status.idle");
  if (start === null || end === null || end < start) return null;
  return { start, end };
}

/** formatDuration: "12 ms", "3.2 s", "2 min 5 s", "1 h 3 min". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** formatFinish is the local time a run ended, "14:03", with the date ("2026-12-05 14:03") when it was not today. */
export function formatFinish(end: Date, now: Date): string {
  const clock = `${pad(end.getHours())}:${pad(end.getMinutes())}`;
  const sameDay = end.getFullYear() === now.getFullYear() && end.getMonth() === now.getMonth() && end.getDate() === now.getDate();
  return sameDay ? clock : `${end.getFullYear()}-${pad(end.getMonth() + 1)}-${pad(end.getDate())} ${clock}`;
}

/** timingText is the line shown under a finished cell, "" when md records no finished run. */
export function timingText(md: Json, now: Date): string {
  const r = runOf(md);
  return r ? `${formatDuration(r.end - r.start)}, ${formatFinish(new Date(r.end), now)}` : "";
}
