// The WebSocket session id is kept per kernel in localStorage, with the
// cells whose runs are outstanding: a page opened later reconnects with the
// same id, and the output the server buffered meanwhile finds its cell.
import { randomHex } from "./model";

const KERNEL_STORE = "quire-kernel-clients";
/** Kernels remembered (the most recently used ones). */
const MAX_KERNELS = 20;
/** Outstanding runs remembered per kernel (the latest ones). */
const MAX_RUNS = 500;

/** RunRef names the cell a run belongs to: its notebook and its key (see cellKey). */
export interface RunRef {
  path: string;
  cell: string;
}

interface KernelRecord {
  client: string;
  runs: Record<string, RunRef>;
  t: number;
}

function loadStore(): Record<string, KernelRecord> {
  try {
    const v = JSON.parse(localStorage.getItem(KERNEL_STORE) || "{}") as unknown;
    return typeof v === "object" && v !== null ? (v as Record<string, KernelRecord>) : {};
  } catch {
    return {};
  }
}

function saveStore(s: Record<string, KernelRecord>): void {
  const keys = Object.keys(s).sort((a, b) => s[b].t - s[a].t);
  for (const k of keys.slice(MAX_KERNELS)) delete s[k];
  try {
    localStorage.setItem(KERNEL_STORE, JSON.stringify(s));
  } catch {
    /* storage unavailable: replay across page loads just does not happen */
  }
}

function kernelRecord(s: Record<string, KernelRecord>, kernelId: string): KernelRecord {
  let r = s[kernelId];
  if (!r || typeof r.client !== "string" || typeof r.runs !== "object" || r.runs === null) {
    r = { client: randomHex(16), runs: {}, t: Date.now() };
    s[kernelId] = r;
  }
  return r;
}

/** clientIdFor is the WebSocket session id this browser uses for a kernel. */
export function clientIdFor(kernelId: string): string {
  const s = loadStore();
  const r = kernelRecord(s, kernelId);
  r.t = Date.now();
  saveStore(s);
  return r.client;
}

/** rememberRun records that request msgId runs cell of the notebook at path. */
export function rememberRun(kernelId: string, msgId: string, path: string, cell: string): void {
  const s = loadStore();
  const r = kernelRecord(s, kernelId);
  r.runs[msgId] = { path, cell };
  const ids = Object.keys(r.runs);
  for (const id of ids.slice(0, Math.max(0, ids.length - MAX_RUNS))) delete r.runs[id];
  saveStore(s);
}

/** forgetRuns drops the given runs of a kernel, or all of them (null). */
export function forgetRuns(kernelId: string, msgIds: string[] | null): void {
  const s = loadStore();
  const r = s[kernelId];
  if (!r || !r.runs) return;
  if (msgIds === null) r.runs = {};
  else for (const id of msgIds) delete r.runs[id];
  saveStore(s);
}

/** lookupRun is the cell a remembered run belongs to. */
export function lookupRun(kernelId: string, msgId: string): RunRef | undefined {
  return loadStore()[kernelId]?.runs?.[msgId];
}
