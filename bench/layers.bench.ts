/**
 * `npm run bench:layers`: which PAIR-X layer gives the reviewer the most telling matches, measured on
 * pairs of individuals the model never saw. For each candidate layer, PAIR-X matches of same-individual
 * pairs (same flank) and of as many different-individual pairs (same flank, the first photo paired with
 * a random other animal) are scored by their geometric plausibility (RANSAC homography inlier ratio of
 * the top matches): coherent matches along one flank score high. Printed per layer: the mean inlier
 * ratio of each kind of pair and the AUC of telling them apart by it. One input to the default-layer
 * choice; the other is looking at the pictures (`pairx explain --layer …`).
 *   npm run bench:layers -- [--model <folder>] [--individuals <file>] [--pairs 40] [--layers a,b,c]
 * Individuals: those of `--individuals` (one name a line, e.g. a k-fold model's test-individuals.txt),
 * else the card's held-out individuals; photos from ../shared/data/nyala-train.
 */
import { parse } from 'csv-parse/sync';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { preprocess } from '../src/main/imaging/preprocess.ts';
import { defaultModelPath } from '../src/main/models/default-model.ts';
import { ReidModel } from '../src/main/models/reid-model.ts';
import { PairExplainer, releaseForward } from '../src/main/pairx/pair-explainer.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    individuals: { type: 'string' },
    pairs: { type: 'string', default: '40' },
    layers: { type: 'string' },
  },
});
const NYALA = fileURLToPath(new URL('../../shared/data/nyala-train/', import.meta.url));
if (!existsSync(join(NYALA, 'annotations.csv'))) throw new Error(`${NYALA}annotations.csv: not found (needs ../shared)`);
const modelPath = values.model ?? defaultModelPath();
const model = await ReidModel.load(modelPath, { provider: 'cpu' });
const explainer = new PairExplainer(model);

const names = values.individuals
  ? readFileSync(values.individuals, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter(Boolean)
  : ((model.card.training as { heldOutIndividuals?: string[] } | undefined)?.heldOutIndividuals ?? []);
if (names.length === 0) throw new Error(`${modelPath}: its card lists no held-out individuals; pass --individuals <file>`);
const wanted = new Set(names);
const photos = (parse(readFileSync(join(NYALA, 'annotations.csv')), { columns: true }) as { image: string; name: string; side: string }[])
  .filter((p) => wanted.has(p.name));

// Seeded, so that every layer (and every model) is measured on the same pairs.
let seed = 12345;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const same: [number, number][] = [];
for (let i = 0; i < photos.length; i++) {
  for (let j = i + 1; j < photos.length; j++) {
    if (photos[i].name === photos[j].name && photos[i].side === photos[j].side) same.push([i, j]);
  }
}
for (let i = same.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [same[i], same[j]] = [same[j], same[i]];
}
const samePairs = same.slice(0, Number(values.pairs));
const differentPairs = samePairs.map(([i]): [number, number] => {
  const others = photos.map((_, j) => j).filter((j) => photos[j].side === photos[i].side && photos[j].name !== photos[i].name);
  return [i, others[Math.floor(random() * others.length)]];
});

const tensors = new Map<number, Float32Array>();
const tensor = async (i: number) => {
  if (!tensors.has(i)) tensors.set(i, await preprocess(join(NYALA, photos[i].image), model.inputSpec));
  return tensors.get(i)!;
};

/** P(a same pair scores above a different pair), ties counting half. */
function auc(positive: number[], negative: number[]): number {
  let wins = 0;
  for (const p of positive) for (const n of negative) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (positive.length * negative.length);
}
const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;

const layers = values.layers?.split(',') ?? [...new Set([model.card.defaultLayer, ...(model.card.layers ?? [])].filter(Boolean) as string[])];
console.error(`${modelPath}: ${photos.length} photos of ${wanted.size} individuals; ${samePairs.length} same and ${differentPairs.length} different pairs`);
const rows = [];
for (const layer of layers) {
  const inliers = async (pairs: [number, number][]) => {
    const out: number[] = [];
    for (const [i, j] of pairs) {
      const matched = await explainer.matchPair(await tensor(i), await tensor(j), { layer });
      releaseForward(matched);
      out.push(matched.plausibility?.inlierRatio ?? 0);
    }
    return out;
  };
  const started = performance.now();
  const s = await inliers(samePairs);
  const d = await inliers(differentPairs);
  const row = {
    model: model.card.name,
    layer,
    samePairs: s.length,
    sameInliers: Number(mean(s).toFixed(3)),
    differentInliers: Number(mean(d).toFixed(3)),
    auc: Number(auc(s, d).toFixed(3)),
    msPerPair: Math.round((performance.now() - started) / (s.length + d.length)),
  };
  console.log(JSON.stringify(row));
  rows.push(row);
}
console.table(rows);
await explainer.release();
