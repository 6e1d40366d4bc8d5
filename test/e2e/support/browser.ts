// What the Chromium end-to-end tests share: how Debian's Chromium is
// started here, and waiting for a condition without sleeping blindly.

/** How long a test waits for something the user would see. */
export const WAIT_MS = 20_000;

/** Debian's Chromium (`apt-get install chromium`); never a browser downloaded by Playwright. */
export const CHROMIUM_EXECUTABLE = "/usr/bin/chromium";

/** Flags for headless Chromium as root on this machine, without background network traffic. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Polls `probe` until it returns a value, for up to {@link WAIT_MS}. */
export async function poll<T>(probe: () => Promise<T | undefined> | T | undefined, what = "condition"): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not met in time`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
