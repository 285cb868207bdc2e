/**
 * `node --import tsx bench/zoo.bench.ts`: PAIR-X on the test zoo's families at full size (random weights),
 * one JSON line per model: loading the model (parse, probe), the first explanation at the default layer
 * (compiling, warming the sessions, explaining), then the warm median over BENCH_RUNS pairs of nyala
 * photos (test/fixtures/photos) of matches with heat maps (steps 1–5) and of the pixel maps added to them
 * (step 6, k_colors = 10; `pixel_maps_per_photo` says how many that was, since random weights find few
 * matches), the same pairs' pixel maps made up to ten per photo (`ten_pixel_maps_ms`), and the
 * conservation guard's worst error.
 *
 * The models come from `PYTHONPATH=/work/timm-src /usr/bin/python3 tools/make_zoo.py --full`, which exports
 * each family through tools/export_onnx.py (MegaDescriptor and DINOv2 through their presets with a random
 * checkpoint) into BENCH_MODELS (default /tmp/pairx-bench-models/zoo), a folder outside the repository.
 * BENCH_ONLY=tv-vit,timm-swin picks models; one model per process keeps the peak RSS its own.
 */
import { existsSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { ReidModel } from '../src/main/models/reid-model.ts';
import { PairExplainer } from '../src/main/pairx/pair-explainer.ts';
import { median, fixturePhotos, pairImages, timeExplanations, withMatchesUpTo } from './bench-kit.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const MODELS = resolve(process.env.BENCH_MODELS ?? '/tmp/pairx-bench-models/zoo');
const PHOTOS = resolve('test/fixtures/photos');
const names = process.env.BENCH_ONLY?.split(',') ?? (existsSync(MODELS) ? readdirSync(MODELS).sort() : []);
if (names.length === 0) console.error(`no models in ${MODELS}; export them with PYTHONPATH=<timm source> /usr/bin/python3 tools/make_zoo.py --full`);

const round = (v: number) => Math.round(v);
const photos = fixturePhotos(PHOTOS);

for (const name of names) {
  const dir = join(MODELS, name);
  if (!existsSync(join(dir, 'model.onnx'))) {
    console.error(`${name}: no ${dir}/model.onnx`);
    continue;
  }
  const loadStart = performance.now();
  const model = await ReidModel.load(dir, { provider: (process.env.BENCH_PROVIDER as 'cpu') ?? 'cpu' });
  const loadMs = performance.now() - loadStart;
  const explainer = new PairExplainer(model);
  const errors: (number | null)[] = [];
  const maps: number[] = [];
  const { first, firstMs, matchMs, pixelMs } = await timeExplanations(explainer, photos, RUNS, (_, explanation) => {
    errors.push(explanation.conservation.worst);
    maps.push(explanation.kColors);
  });
  // The same warm pairs again, their pixel maps made up to ten per photo where the model found fewer
  // matches (see withMatchesUpTo): what a trained model's ten colours cost.
  const tenMapsMs: number[] = [];
  for (const [a, b] of (await pairImages(explainer, photos, RUNS + 1)).slice(1)) {
    const matched = withMatchesUpTo(await explainer.matchPair(a, b), 10);
    const started = performance.now();
    const ten = await explainer.addPixelMaps(matched, 10);
    tenMapsMs.push(performance.now() - started);
    errors.push(ten.conservation.worst);
  }
  errors.push(first.conservation.worst);
  const worst = errors.includes(null) ? null : Math.max(...(errors as number[]));
  const layer = await explainer.compileLayer();
  console.log(
    JSON.stringify({
      model: name,
      input: `${model.card.input.width}x${model.card.input.height}`,
      layer: layer.key,
      grid: `${layer.grid.height}x${layer.grid.width}x${layer.grid.channels}`,
      load_ms: round(loadMs),
      first_explanation_ms: round(firstMs),
      compile: Object.fromEntries(Object.entries(layer.timings).map(([k, v]) => [k.replace(/Ms$/, '_ms'), round(v)])),
      first_forward_ms: round(first.timings.forwardMs),
      first_pixel_ms: round(first.timings.pixelMs),
      matches_heat_ms: round(median(matchMs)),
      pixel_maps_ms: round(median(pixelMs)),
      // How many maps per photo that was: the pair's matches, at most k_colors.
      pixel_maps_per_photo: median(maps),
      warm_total_ms: round(median(matchMs) + median(pixelMs)),
      ten_pixel_maps_ms: round(median(tenMapsMs)),
      warm_total_ten_maps_ms: round(median(matchMs) + median(tenMapsMs)),
      guard_worst: worst,
      peak_rss_mb: Math.round((process.resourceUsage().maxRSS * 1024) / 2 ** 20),
      // The machine's load while it ran (other processes share its cores and skew the timings).
      load_average: Number(loadavg()[0].toFixed(2)),
      runs: RUNS,
      provider: layer.forward.provider,
    }),
  );
  await explainer.release();
}
