import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

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
