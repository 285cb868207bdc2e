/**
 * `node --import tsx bench/ui.bench.ts`: the pair view in browser mode (Chromium against `npm run serve`),
 * measured in the page with the Performance API. One JSON line per measure:
 *
 * - `open_uncached_pair`: from the key press that opens a pair nobody has explained yet to the first
 *   frame that shows both photos with its matches and heat maps (the `pairx:explanation-drawn` mark);
 * - `next_cached_pair`: from J (next pair, prefetched while the reviewer looked at the current one) to
 *   the same mark;
 * - `decide_then_next_pair`: from U (a decision: saved in the catalog first) to the next open pair,
 *   prefetched, drawn the same way;
 * - `first_pair`: the first pair of the session, which also loads the model and compiles its relevance
 *   graphs (reported alone);
 * - `workbench_peak_rss` (Linux): the peak resident memory of the `npm run serve` process.
 *
 * BENCH_ROUNDS (default 5) pairs of each; BENCH_MODEL an .onnx file or model folder (default: the small
 * golden test model); BENCH_LAYER a layer key (default: the model's default layer).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { hasChromium, launchBrowser, serveCatalog, CHROMIUM } from '../test/e2e/harness.ts';
import { makeReviewCatalog } from '../test/e2e/review-catalog.ts';
import { median } from './bench-kit.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const STRIDE = 4;
/** Time left to the prefetch of the next pair before J is pressed (both phases, on a busy 2-core machine). */
const PREFETCH_WAIT_MS = Number(process.env.BENCH_PREFETCH_WAIT_MS ?? 3000);

if (!hasChromium) {
  console.error(`ui bench skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  process.exit(0);
}

const round = (v: number) => Math.round(v * 10) / 10;

/** Does `act` (a key press) and returns the milliseconds from it to the explanation of the pair then in view being drawn. */
async function timeToDrawn(page: Page, act: string | (() => Promise<unknown>)): Promise<number> {
  const before = await page.evaluate(() => {
    performance.clearMarks('bench:press');
    performance.mark('bench:press');
    return performance.getEntriesByName('pairx:explanation-drawn').length;
  });
  await (typeof act === 'string' ? page.keyboard.press(act) : act());
  const handle = await page.waitForFunction(
    (count) => {
      const drawn = performance.getEntriesByName('pairx:explanation-drawn') as PerformanceMark[];
      const section = document.querySelector('section.pair-view');
      if (!section || drawn.length <= count) return null;
      const last = drawn[drawn.length - 1];
      const pair = `${section.getAttribute('data-a')}|${section.getAttribute('data-b')}|`;
      if (!String(last.detail).startsWith(pair)) return null;
      return last.startTime - performance.getEntriesByName('bench:press')[0].startTime;
    },
    before,
    { timeout: 300_000, polling: 'raf' },
  );
  return (await handle.jsonValue()) as number;
}

async function pixelMapsDone(page: Page): Promise<void> {
  await page.waitForFunction(() => !document.body.textContent?.includes('computing'), null, {
    timeout: 300_000,
  });
}

const catalog = await makeReviewCatalog({
  model: process.env.BENCH_MODEL ? resolve(process.env.BENCH_MODEL) : undefined,
});
const served = await serveCatalog(catalog.folder, { rebuild: !existsSync('out/renderer/index.html') });
const browser = await launchBrowser();
const { page } = browser;
try {
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Open catalog' }).click();
  await page.getByRole('button', { name: 'Review queue' }).click();
  const rows = page.getByRole('listbox', { name: 'Candidate pairs' }).getByRole('option');
  await rows.first().waitFor({ timeout: 60_000 });
  const queueLength = Number(
    /(\d+) questions/.exec((await page.locator('.queue-header').textContent()) ?? '')?.[1] ?? 0,
  );
  // Each round decides one question ("unsure"), which leaves the queue: it is one shorter every round.
  const rounds = Math.min(ROUNDS, Math.floor((queueLength - 2) / (STRIDE + 1)));

  // The first pair loads the model and compiles the layer's relevance graphs.
  const first = await timeToDrawn(page, 'Enter');
  if (process.env.BENCH_LAYER) {
    const layer = process.env.BENCH_LAYER;
    await pixelMapsDone(page);
    await timeToDrawn(page, () => page.getByLabel('Layer').selectOption(layer)); // compiles the layer
  }
  await pixelMapsDone(page);
  console.log(
    JSON.stringify({
      measure: 'first_pair',
      ms: round(first),
      note: 'includes model load and graph compilation',
    }),
  );

  const uncached: number[] = [];
  const cached: number[] = [];
  const decided: number[] = [];
  for (let round_ = 1; round_ <= rounds; round_++) {
    await page.keyboard.press('Escape');
    await rows.first().waitFor();
    await page.keyboard.press('Home');
    for (let i = 0; i < round_ * STRIDE; i++) await page.keyboard.press('j');
    uncached.push(await timeToDrawn(page, 'Enter'));
    await pixelMapsDone(page);
    await page.waitForTimeout(PREFETCH_WAIT_MS);
    cached.push(await timeToDrawn(page, 'j'));
    await pixelMapsDone(page);
    await page.waitForTimeout(PREFETCH_WAIT_MS);
    decided.push(await timeToDrawn(page, 'u')); // saved, then the next open pair
    await pixelMapsDone(page);
  }
  const model = (await page.locator('.pair-side h2').textContent())?.split('·').pop()?.trim();
  for (const [measure, values] of [
    ['open_uncached_pair', uncached],
    ['next_cached_pair', cached],
    ['decide_then_next_pair', decided],
  ] as const) {
    console.log(
      JSON.stringify({
        measure,
        median_ms: round(median(values)),
        min_ms: round(Math.min(...values)),
        max_ms: round(Math.max(...values)),
        runs: values.length,
        layer: model,
        model: process.env.BENCH_MODEL ?? 'test/fixtures/golden/resnet-narrow-128',
      }),
    );
  }
  // Linux: the workbench process's peak resident memory over the whole session (model, caches, both phases).
  const status = `/proc/${served.process.pid}/status`;
  if (existsSync(status)) {
    const peak = /VmHWM:\s+(\d+) kB/.exec(readFileSync(status, 'utf8'))?.[1];
    if (peak)
      console.log(JSON.stringify({ measure: 'workbench_peak_rss', mb: Math.round(Number(peak) / 1024) }));
  }
} finally {
  await browser.close();
  await served.stop();
  rmSync(catalog.folder, { recursive: true, force: true });
}
