import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { preprocess } from '../src/main/imaging/preprocess.ts';
import type { Explanation } from '../src/main/pairx/explanation.ts';
import type { MatchedPair, PairExplainer } from '../src/main/pairx/pair-explainer.ts';

/** What the benchmarks share: the statistic they report and the photos they explain. */

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The nyala photos of test/fixtures/photos, in a fixed order. */
export function fixturePhotos(folder = resolve('test/fixtures/photos')): string[] {
  return readdirSync(folder)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .map((f) => join(folder, f));
}

/**
 * The first explanation of a pair (compiling the default layer; its own runs plan the sessions' memory),
 * then `runs` more pairs warm, each timed as a reviewer waits for it: matches with heat maps, then the
 * pixel maps (k_colors = 10) added to them. `each` sees every warm pair's matches and explanation.
 */
export async function timeExplanations(
  explainer: PairExplainer,
  photos: string[],
  runs: number,
  each: (matched: MatchedPair, explanation: Explanation) => void = () => {},
): Promise<{ first: Explanation; firstMs: number; matchMs: number[]; pixelMs: number[] }> {
  const pairs = Array.from({ length: runs + 1 }, (_, i) => [photos[(2 * i) % photos.length], photos[(2 * i + 1) % photos.length]]);
  const images = await Promise.all(pairs.map(async ([a, b]) => [await preprocess(a, explainer.inputSpec), await preprocess(b, explainer.inputSpec)]));
  const firstStart = performance.now();
  const first = await explainer.explain(images[0][0], images[0][1]);
  const firstMs = performance.now() - firstStart;
  const matchMs: number[] = [];
  const pixelMs: number[] = [];
  for (const [a, b] of images.slice(1)) {
    const started = performance.now();
    const matched = await explainer.matchPair(a, b);
    matchMs.push(performance.now() - started);
    const pixelsStarted = performance.now();
    const explanation = await explainer.addPixelMaps(matched, 10);
    pixelMs.push(performance.now() - pixelsStarted);
    each(matched, explanation);
  }
  return { first, firstMs, matchMs, pixelMs };
}
