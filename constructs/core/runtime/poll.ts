/**
 * Waiting: one `sleep` and one bounded poll loop for every handler (a cluster's pending master
 * password, a replica's threads, a connection that is refused until a new password is applied).
 */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What one probe of a poll found: done (with the result), or not yet (with what it saw). */
export type PollResult<T, S> = { readonly done: true; readonly value: T } | { readonly done: false; readonly state: S };

export const done = <T>(value: T): PollResult<T, never> => ({ done: true, value });
export const notYet = <S>(state: S): PollResult<never, S> => ({ done: false, state });

export interface PollOptions<S> {
  /** How long to keep probing, from the first probe. 0 probes once. */
  readonly timeoutMs: number;
  /** Pause between two probes (the last pause is cut to the time left). */
  readonly intervalMs: number;
  /** The error thrown when the time is up, from the last probe's state (say what was waited for and what was seen). */
  readonly onTimeout: (state: S, elapsedMs: number) => Error;
}

/**
 * Probes until it reports done, or throws `onTimeout(last state)` once `timeoutMs` has passed.
 * An error thrown by the probe ends the poll at once (a hard failure is not waited out).
 */
export async function pollUntil<T, S>(probe: (attempt: number) => Promise<PollResult<T, S>>, options: PollOptions<S>): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    const result = await probe(attempt);
    if (result.done) return result.value;
    const elapsed = Date.now() - started;
    if (elapsed >= options.timeoutMs) throw options.onTimeout(result.state, elapsed);
    await sleep(Math.min(options.intervalMs, Math.max(0, options.timeoutMs - elapsed)));
  }
}
