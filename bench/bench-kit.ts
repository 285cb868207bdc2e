import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { preprocess } from '../src/main/imaging/preprocess.ts';
import type { Explanation, Match } from '../src/main/pairx/explanation.ts';
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

/** `count` pairs of the photos, in order (0 with 1, 2 with 3, …, round again), preprocessed for the model. */
export function pairImages(explainer: PairExplainer, photos: string[], count: number): Promise<[Float32Array, Float32Array][]> {
  const pairs = Array.from({ length: count }, (_, i) => [photos[(2 * i) % photos.length], photos[(2 * i + 1) % photos.length]]);
  return Promise.all(pairs.map(async ([a, b]): Promise<[Float32Array, Float32Array]> => [await preprocess(a, explainer.inputSpec), await preprocess(b, explainer.inputSpec)]));
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
  const images = await pairImages(explainer, photos, runs + 1);
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

/**
 * Pixel maps cost one relevance pass per match and photo, and random weights find few mutual matches
 * (EfficientNetV2-rw-m: 1 or 2 per pair, where a trained model finds dozens), so a warm time at
 * k_colors = 10 can stand for 1 or 2 maps. This is the pair's matches made up to `k` with the grid
 * positions of highest relevance in each photo, for timing `k` maps as a trained model would ask for.
 */
export function withMatchesUpTo(matched: MatchedPair, k: number): MatchedPair {
  const { width, height } = matched.layer;
  const byRelevance = (map: Float32Array) =>
    Array.from(map.keys())
      .sort((a, b) => map[b] - map[a])
      .map((p): [number, number] => [p % width, Math.floor(p / width)]);
  const taken = new Set(matched.matches.map((m) => `${m.coord0}|${m.coord1}`));
  const [top0, top1] = matched.relevanceMaps.map(byRelevance);
  const matches: Match[] = [...matched.matches];
  for (let i = 0; matches.length < k && i < Math.min(top0.length, top1.length); i++) {
    const [coord0, coord1] = [top0[i], top1[i]];
    if (taken.has(`${coord0}|${coord1}`)) continue;
    const centre = ([x, y]: [number, number]): [number, number] => [((x + 0.5) * matched.input.width) / width, ((y + 0.5) * matched.input.height) / height];
    matches.push({ coord0, coord1, point0: centre(coord0), point1: centre(coord1), distance: 0, relevance: 0 });
  }
  return { ...matched, matches };
}
