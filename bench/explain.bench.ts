/**
 * `npm run bench`: one JSON line per golden case at the last layer its manifest lists — the warm
 * median of at least 5 full explanations (k_colors = 10) and its split into forward pass, relevance
 * to the layer, matching and pixel relevance.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readNpy } from '../src/main/arrays/npy.ts';
import { ReidModel } from '../src/main/models/reid-model.ts';
import type { Explanation } from '../src/main/pairx/explanation.ts';
import { PairExplainer } from '../src/main/pairx/pair-explainer.ts';
import { median } from './bench-kit.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const folders = [resolve('test/fixtures/golden'), resolve('../shared/golden')].filter(existsSync);
const cases = new Map<string, string>();
for (const folder of folders) {
  for (const name of ['resnet-narrow-128', 'effnet-tiny-160', 'resnet-mini-224', 'effnet-b0-256', 'mbv2-imagenet-224']) {
    if (!cases.has(name) && existsSync(join(folder, name, 'manifest.json'))) cases.set(name, join(folder, name));
  }
}

const round = (v: number) => Math.round(v * 10) / 10;

for (const [name, dir] of cases) {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const layer = Object.keys(manifest.layers).at(-1)!;
  const model = new PairExplainer(
    await ReidModel.load(join(dir, 'model.onnx'), { provider: (process.env.BENCH_PROVIDER as 'cpu') ?? 'cpu' }),
  );
  const [a, b] = [(await readNpy(join(dir, 'image0.npy'))).data, (await readNpy(join(dir, 'image1.npy'))).data];
  const compileStart = performance.now();
  await model.explain(a, b, { layer, kColors: 10 }); // compiles graphs and warms the sessions
  const firstMs = performance.now() - compileStart;
  const timings: Explanation['timings'][] = [];
  for (let i = 0; i < RUNS; i++) timings.push((await model.explain(a, b, { layer, kColors: 10 })).timings);
  const pick = (key: keyof (typeof timings)[0]) => round(median(timings.map((t) => t[key])));
  console.log(
    JSON.stringify({
      case: name,
      layer,
      median_ms: pick('totalMs'),
      forward_ms: pick('forwardMs'),
      relevance_ms: pick('relevanceMs'),
      matching_ms: pick('matchingMs'),
      pixel_ms: pick('pixelMs'),
      first_run_ms: round(firstMs),
      runs: RUNS,
      provider: (await model.compileLayer(layer)).forward.provider,
    }),
  );
  await model.release();
}
