// Debian's chromium driven by playwright-core, for the report tests and the render-time measurement.
// Headless, sandbox off (root in a container), no network services of the browser itself, and a new
// empty profile each launch.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.LOSSLESS_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumPresent(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/**
 * Why the browser tests cannot run, or undefined when they can. Under CI=true a missing chromium is a
 * failure, never a skip (.ci/run installs it).
 */
export function browserSkipReason(): string | undefined {
  if (chromiumPresent()) return undefined;
  if (process.env.CI === 'true') return undefined;
  return `chromium not found at ${CHROMIUM_PATH}: install it (apt-get install -y chromium) to run the report's browser tests; skipped because CI is not set`;
}

export interface LaunchedBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A persistent context on a new empty profile folder (playwright passes it as --user-data-dir). */
export async function launchChromium(viewport = { width: 1300, height: 900 }): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'lossless-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
