/**
 * `node --import tsx bench/transformers.bench.ts`: PAIR-X on transformers at 224×224, one JSON line per
 * model — the warm median over BENCH_RUNS pairs of nyala photos (test/fixtures/photos) of matches with
 * heat maps (steps 1–5) and of the pixel maps added to them (step 6, k_colors = 10), the first
 * explanation (compiling), and the memory one explanation holds: its forward statistics (what step 6
 * reads) and the explanation's own arrays, besides the process's peak resident memory.
 *
 * The models are torchvision's architectures with random weights (the timing does not depend on the
 * weights), exported by `tools/export_onnx.py --torchvision NAME --out-dir DIR/NAME` into
 * BENCH_MODELS (default /tmp/pairx-bench-models): swin_t, vit_s_16 and vit_b_16.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ReidModel } from '../src/main/models/reid-model.ts';
import { PairExplainer } from '../src/main/pairx/pair-explainer.ts';
import { median, fixturePhotos, timeExplanations } from './bench-kit.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const MODELS = resolve(process.env.BENCH_MODELS ?? '/tmp/pairx-bench-models');
const NAMES = (process.env.BENCH_ONLY ?? 'swin_t,vit_s_16,vit_b_16').split(',');
const PHOTOS = resolve('test/fixtures/photos');

const round = (v: number) => Math.round(v);
const megabytes = (bytes: number) => Math.round(bytes / 2 ** 20);

const photos = fixturePhotos(PHOTOS);

for (const name of NAMES) {
  const dir = join(MODELS, name);
  if (!existsSync(join(dir, 'model.onnx'))) {
    console.error(`${name}: no ${dir}/model.onnx; export it with /usr/bin/python3 tools/export_onnx.py --torchvision ${name} --out-dir ${dir}`);
    continue;
  }
  const explainer = new PairExplainer(await ReidModel.load(dir, { provider: (process.env.BENCH_PROVIDER as 'cpu') ?? 'cpu' }));
  let statsBytes = 0;
  let explanationBytes = 0;
  const { firstMs, matchMs, pixelMs } = await timeExplanations(explainer, photos, RUNS, (matched, explanation) => {
    const layer = matched.forwardState.layer;
    const statNames = new Set([...layer.toLayer.stats, ...layer.toPixels.stats]);
    statsBytes = [...statNames].reduce((total, stat) => total + 2 * matched.forwardState.perImage![0](stat).data.byteLength, 0);
    explanationBytes = [...explanation.featureMaps, ...explanation.relevanceMaps, ...explanation.pixelMaps].reduce((t, a) => t + a.byteLength, 0);
  });
  const layer = await explainer.compileLayer();
  console.log(
    JSON.stringify({
      model: name,
      layer: layer.key,
      grid: layer.grid,
      matches_heat_ms: round(median(matchMs)),
      pixel_maps_ms: round(median(pixelMs)),
      first_explanation_ms: round(firstMs),
      forward_stats_mb: megabytes(statsBytes),
      explanation_arrays_mb: megabytes(explanationBytes),
      peak_rss_mb: megabytes(process.resourceUsage().maxRSS * 1024),
      runs: RUNS,
      provider: layer.forward.provider,
    }),
  );
  await explainer.release();
}
