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

/**
 * Counts the pixels of a PNG screenshot that are not near-white (the charts' background), decoding it
 * in a blank page's canvas so no image library is needed.
 */
export async function inkPixels(context: BrowserContext, png: Buffer): Promise<number> {
  const page = await context.newPage();
  try {
    // a string expression, so this Node-side file needs no DOM types
    return Number(await page.evaluate(`(async () => {
      const img = new Image();
      img.src = 'data:image/png;base64,${png.toString('base64')}';
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width; c.height = img.height;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235) n++;
      return n;
    })()`));
  } finally {
    await page.close();
  }
}

/** Hides everything in the charts but the data (axes, grid lines, labels), so ink means data was drawn. */
export const DATA_ONLY_CSS = '.chart svg .axis, .chart svg .grid, .chart svg text, .chart svg .global { display: none !important; }';
