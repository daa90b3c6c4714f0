/** Poll until `check` holds (tests wait for effects, never a fixed sleep). */
export async function waitFor(check: () => boolean, timeoutMs = 5000, what = 'condition', intervalMs = 10): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
