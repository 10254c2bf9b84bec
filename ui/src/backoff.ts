// How long a page waits before it reconnects a lost WebSocket (a kernel's,
// a terminal's): doubling from 0.5 s up to 30 s, with ±25 % jitter so many
// pages cut off together do not all come back in the same instant.

/** MAX_DELAY_MS caps the wait. */
export const MAX_DELAY_MS = 30_000;

/** backoffDelay is the wait before reconnection attempt number attempt
 *  (0 for the first); random is Math.random, or a fixed value in tests. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_DELAY_MS, 500 * 2 ** attempt);
  return Math.min(MAX_DELAY_MS, Math.round(base * (0.75 + random() * 0.5)));
}
