import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`); end-to-end tests are skipped with a notice without it. */
export const CHROMIUM = process.env.PAIRX_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface ServedCatalog {
  /** The printed address, token included. */
  url: string;
  origin: string;
  token: string;
  process: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** `npm run serve -- <folder>` as a user starts it, on a free port; resolves once it printed its address. */
export async function serveCatalog(
  folder: string,
  options: { rebuild?: boolean } = {},
): Promise<ServedCatalog> {
  const args = ['--import', 'tsx', resolve('src/main/server/serve.ts'), folder, '--port', '0'];
  if (options.rebuild) args.push('--rebuild');
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the server did not start within 120 s:\n${output}`)),
      120_000,
    );
    const check = () => {
      const match = /pairx workbench: (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}):\n${output}`));
    });
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token')!,
    process: child,
    output: () => output,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Messages the page logged as errors, and uncaught exceptions. */
  errors: string[];
  close: () => Promise<void>;
}

/** Chromium with a fresh profile, one page of 1440×900. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'pairx-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  return {
    context,
    page,
    errors,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** One API call from outside the page, as the browser's client makes it. */
export async function apiCall<T = unknown>(
  served: ServedCatalog,
  method: string,
  args: unknown = {},
  token: string | null = served.token,
): Promise<{ status: number; body: { ok: boolean; value?: T; error?: { kind: string; message: string } } }> {
  const response = await fetch(`${served.origin}/api/call`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ method, args }),
  });
  return { status: response.status, body: await response.json() };
}

/** How many distinct colours (quantised to 5 bits per channel) a canvas shows: a blank canvas has one or two. */
export async function canvasColours(page: Page, selector: string): Promise<number> {
  return page.$eval(selector, (element) => {
    const canvas = element as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < data.length; i += 4 * 7)
      seen.add(((data[i] >> 3) << 10) | ((data[i + 1] >> 3) << 5) | (data[i + 2] >> 3));
    return seen.size;
  });
}

/** A folder emptied for a test's screenshots (test-artifacts/…), for people to look at after a run. */
export function emptyFolder(folder: string): void {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
}

/** A test's screenshots, `<folder>/<name>.png`, of the page it holds (read when each is taken). */
export function screenshots(folder: string, page: () => Page): (name: string) => Promise<Buffer> {
  return (name) => page().screenshot({ path: join(folder, `${name}.png`) });
}

/** A catalog in the browser mode as a user opens it: served (`npm run serve`), and Chromium to look at it. */
export async function openBrowserMode(
  folder: string,
  options: { rebuild?: boolean } = { rebuild: true },
): Promise<{ served: ServedCatalog; browser: Browser; page: Page }> {
  const served = await serveCatalog(folder, options);
  try {
    const browser = await launchBrowser();
    return { served, browser, page: browser.page };
  } catch (error) {
    await served.stop();
    throw error;
  }
}
