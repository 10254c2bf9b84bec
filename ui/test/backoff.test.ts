import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_DELAY_MS, backoffDelay } from "../src/backoff";

test("the reconnect wait doubles from 0.5 s, jittered ±25 %, capped at 30 s", () => {
  const mid = () => 0.5;
  assert.deepEqual([0, 1, 2, 3].map((a) => backoffDelay(a, mid)), [500, 1000, 2000, 4000]);
  assert.equal(backoffDelay(0, () => 0), 375);
  assert.equal(backoffDelay(0, () => 1), 625);
  assert.equal(backoffDelay(20, () => 1), MAX_DELAY_MS);
  assert.equal(backoffDelay(1000, mid), MAX_DELAY_MS);
});
