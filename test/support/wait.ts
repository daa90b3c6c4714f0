/** Poll until `check` holds (tests wait for effects, never a fixed sleep). */
/** `what` may be a function, to say what was seen last when the wait fails. */
export async function waitFor(check: () => boolean, timeoutMs = 5000, what: string | (() => string) = 'condition', intervalMs = 10): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
