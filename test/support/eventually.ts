/**
 * Polls `check` until it holds: tests wait on conditions, never on fixed sleeps. The limit is generous
 * because the machine is shared; a passing check returns at once.
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 20_000,
): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
