// metadata.execution built from the dates of a run's kernel messages, and
// the timing line shown under a finished cell.
import { test } from "node:test";
import assert from "node:assert/strict";
import { TIMING_KEYS, formatDuration, formatFinish, recordTiming, runOf, timingEntries, timingText } from "../src/notebook/timing";

const msg = (channel: string, msg_type: string, date: string | undefined, content: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) => ({
  channel, header: { msg_type, date }, content, metadata,
});

// A run as ipykernel reports it: busy, execute_input, output, reply, idle.
const run = [
  msg("iopub", "status", "2026-12-06T14:02:58.100000Z", { execution_state: "busy" }),
  msg("iopub", "execute_input", "2026-12-06T14:02:58.120000Z", { code: "x" }),
  msg("iopub", "stream", "2026-12-06T14:03:00.000000Z", { name: "stdout", text: "hi" }),
  msg("shell", "execute_reply", "2026-12-06T14:03:01.330000Z", { status: "ok" }, { started: "2026-12-06T14:02:58.130000Z" }),
  msg("iopub", "status", "2026-12-06T14:03:01.340000Z", { execution_state: "idle" }),
];

test("a run's messages fill the five keys from their header dates", () => {
  const md: Record<string, unknown> = { tags: [] };
  for (const m of run) recordTiming(md, m);
  assert.deepEqual(Object.keys(md.execution as object).sort(), [...TIMING_KEYS].sort());
  assert.deepEqual(md.execution, {
    "iopub.status.busy": "2026-12-06T14:02:58.100000Z",
    "iopub.execute_input": "2026-12-06T14:02:58.120000Z",
    "shell.execute_reply.started": "2026-12-06T14:02:58.130000Z",
    "shell.execute_reply": "2026-12-06T14:03:01.330000Z",
    "iopub.status.idle": "2026-12-06T14:03:01.340000Z",
  });
  assert.deepEqual(md.tags, [], "other metadata is kept");
});

test("outputs, dateless messages and other replies add nothing", () => {
  assert.deepEqual(timingEntries(run[2]), {});
  assert.deepEqual(timingEntries(msg("iopub", "status", undefined, { execution_state: "busy" })), {});
  assert.deepEqual(timingEntries(msg("iopub", "status", "2026-12-06T14:00:00Z", { execution_state: "starting" })), {});
  assert.deepEqual(timingEntries(msg("shell", "complete_reply", "2026-12-06T14:00:00Z")), {});
  const md: Record<string, unknown> = {};
  assert.equal(recordTiming(md, run[2]), false);
  assert.deepEqual(md, {}, "no empty execution object");
  // A reply without the kernel's "started" still records its own date.
  assert.deepEqual(timingEntries(msg("shell", "execute_reply", "2026-12-06T14:00:01Z")), { "shell.execute_reply": "2026-12-06T14:00:01Z" });
});

test("the run lasts from the kernel's start to its reply, with fallbacks", () => {
  const md: Record<string, unknown> = {};
  for (const m of run) recordTiming(md, m);
  assert.deepEqual(runOf(md), { start: Date.parse("2026-12-06T14:02:58.130Z"), end: Date.parse("2026-12-06T14:03:01.330Z") });
  assert.equal(runOf({}), null);
  assert.equal(runOf({ execution: { "iopub.status.busy": "2026-12-06T14:02:58Z" } }), null, "still running");
  const lab = { execution: { "iopub.execute_input": "2026-12-06T14:00:00.000Z", "iopub.status.idle": "2026-12-06T14:00:02.500Z" } };
  assert.deepEqual(runOf(lab), { start: Date.parse("2026-12-06T14:00:00Z"), end: Date.parse("2026-12-06T14:00:02.5Z") });
  assert.equal(runOf({ execution: { "iopub.execute_input": "junk", "shell.execute_reply": "2026-12-06T14:00:00Z" } }), null);
});

test("durations read naturally at every scale", () => {
  assert.equal(formatDuration(12.4), "12 ms");
  assert.equal(formatDuration(999), "999 ms");
  assert.equal(formatDuration(1000), "1.0 s");
  assert.equal(formatDuration(3240), "3.2 s");
  assert.equal(formatDuration(59_940), "59.9 s");
  assert.equal(formatDuration(59_960), "1 min 0 s");
  assert.equal(formatDuration(125_000), "2 min 5 s");
  assert.equal(formatDuration(3_780_000), "1 h 3 min");
});

test("the finish time is local, with the date when it was not today", () => {
  const end = new Date(2026, 11, 6, 14, 3, 59);
  assert.equal(formatFinish(end, new Date(2026, 11, 6, 18, 0)), "14:03");
  assert.equal(formatFinish(new Date(2026, 11, 5, 9, 7), new Date(2026, 11, 6, 18, 0)), "2026-12-05 09:07");
  const md = { execution: { "shell.execute_reply.started": new Date(2026, 11, 6, 14, 3, 55, 700).toISOString(), "shell.execute_reply": end.toISOString() } };
  assert.equal(timingText(md, new Date(2026, 11, 6, 18, 0)), "3.3 s, 14:03");
  assert.equal(timingText({}, new Date()), "");
});
