import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { readNpy, writeNpy } from '../arrays/npy.ts';
import { modelView, normalise, preprocess } from '../imaging/preprocess.ts';
import { defaultModelPath } from '../models/default-model.ts';
import { PROVIDER_CHOICES, type ProviderChoice } from '../onnx/session.ts';
import { ReidModel } from '../models/reid-model.ts';
import type { Explanation } from '../pairx/explanation.ts';
import { PairExplainer } from '../pairx/pair-explainer.ts';
import { denormalise, renderExplanationPng, type RgbImage } from '../render/explanation-png.ts';
import { EXPLAIN_LIMITS } from '../../shared/explanation.ts';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff']);

const positiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number ≥ 0`);
  return n;
};

export const modelOption = () => new Option('--model <file.onnx | folder>', 'ONNX model or model folder with card.json (default: the bundled model)');
export const providerOption = () =>
  new Option('--provider <name>', 'execution provider').choices([...PROVIDER_CHOICES]).default('auto');

export async function loadModel(options: { model?: string; provider?: ProviderChoice }): Promise<ReidModel> {
  return ReidModel.load(options.model ?? defaultModelPath(), { provider: options.provider ?? 'auto' });
}

/** An input as the model's tensor and the model-sized RGB view used for pictures. */
async function readInput(path: string, model: ReidModel): Promise<{ tensor: Float32Array; view: RgbImage }> {
  const spec = model.inputSpec;
  if (extname(path).toLowerCase() === '.npy') {
    const array = await readNpy(path);
    const expected = [1, 3, spec.height, spec.width];
    if (array.shape.join() !== expected.join() && array.shape.join() !== expected.slice(1).join()) {
      throw new Error(`${path}: tensor of shape [${array.shape}] does not fit the model input [${expected}]`);
    }
    return { tensor: array.data, view: denormalise(array.data, spec.width, spec.height, spec.mean, spec.std) };
  }
  const rgb = await modelView(path, spec);
  return { tensor: normalise(rgb, spec), view: { data: rgb, width: spec.width, height: spec.height } };
}

export function explanationJson(explanation: Explanation) {
  return {
    similarity: explanation.similarity,
    layer: explanation.layer.key,
    tensor: explanation.layer.tensor,
    featureMap: [explanation.layer.channels, explanation.layer.height, explanation.layer.width],
    provider: explanation.provider,
    plausibility: explanation.plausibility,
    kLines: explanation.kLines,
    kColors: explanation.kColors,
    timings: explanation.timings,
    warnings: explanation.warnings,
    matches: explanation.matches,
  };
}

async function writeArrays(dir: string, e: Explanation): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { width, height } = e.input;
  const { channels, height: h, width: w } = e.layer;
  await Promise.all(
    [0, 1].flatMap((i) => [
      writeNpy(join(dir, `relevance${i}.npy`), { data: e.relevanceMaps[i], shape: [h, w] }),
      writeNpy(join(dir, `pixel${i}.npy`), { data: e.pixelMaps[i], shape: [e.kColors, height, width] }),
      writeNpy(join(dir, `fm${i}.npy`), { data: e.featureMaps[i], shape: [1, channels, h, w] }),
      writeNpy(join(dir, `emb${i}.npy`), { data: e.embeddings[i], shape: [1, e.embeddings[i].length] }),
    ]),
  );
}

/** Image files under each path (folders scanned recursively), in a stable order. */
export async function collectImages(paths: string[]): Promise<string[]> {
  const found: string[] = [];
  const visit = async (path: string) => {
    const info = await stat(path).catch(() => {
      throw new Error(`${path}: no such file or folder`);
    });
    if (info.isDirectory()) {
      const entries = (await readdir(path)).filter((e) => !e.startsWith('.')).sort();
      for (const entry of entries) await visit(join(path, entry));
    } else if (IMAGE_EXTENSIONS.has(extname(path).toLowerCase())) {
      found.push(resolve(path));
    }
  };
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile() && !IMAGE_EXTENSIONS.has(extname(path).toLowerCase())) {
      throw new Error(`${path}: not a JPEG, PNG, WebP or TIFF image`);
    }
    await visit(path);
  }
  return found;
}

export function registerEngineCommands(program: Command): void {
  program
    .command('explain')
    .description('explain why the model finds two images similar (PAIR-X)')
    .argument('<imageA>', 'photo (JPEG/PNG/WebP/TIFF) or preprocessed tensor (.npy [1,3,H,W])')
    .argument('<imageB>', 'photo or .npy tensor')
    .addOption(modelOption())
    .option('--layer <key>', 'module key or tensor name (see `pairx layers`; default: the model card\'s)')
    .option('--k-lines <n>', 'matches drawn as lines', positiveInt('--k-lines'), EXPLAIN_LIMITS.kLines.default)
    .option('--k-colors <n>', 'matches with pixel maps', positiveInt('--k-colors'), EXPLAIN_LIMITS.kColors.default)
    .option('--out <file.png>', 'picture in the reference layout', 'explanation.png')
    .option('--json <file.json>', 'similarity, layer, provider, plausibility and all matches')
    .option('--arrays <dir>', 'write relevance, pixel, feature-map and embedding arrays as .npy')
    .addOption(providerOption())
    .action(async (imageA: string, imageB: string, options) => {
      const model = await loadModel(options);
      const explainer = new PairExplainer(model);
      const [a, b] = await Promise.all([readInput(imageA, model), readInput(imageB, model)]);
      const explanation = await explainer.explain(a.tensor, b.tensor, {
        layer: options.layer,
        kLines: options.kLines,
        kColors: options.kColors,
      });
      for (const warning of explanation.warnings) process.stderr.write(`pairx: ${warning}\n`);
      await writeFile(options.out, await renderExplanationPng(explanation, [a.view, b.view]));
      if (options.json) await writeFile(options.json, JSON.stringify(explanationJson(explanation), null, 2));
      if (options.arrays) await writeArrays(options.arrays, explanation);
      const p = explanation.plausibility;
      process.stdout.write(
        [
          `similarity   ${explanation.similarity.toFixed(4)}`,
          `layer        ${explanation.layer.key} [${explanation.layer.channels}×${explanation.layer.height}×${explanation.layer.width}]`,
          `matches      ${explanation.matches.length} (lines ${explanation.kLines}, pixel maps ${explanation.kColors})`,
          `plausibility ${p ? `${(p.inlierRatio * 100).toFixed(0)}% inliers, median error ${(p.medianError * 100).toFixed(1)}% of diagonal` : 'n/a (fewer than 5 matches)'}`,
          `provider     ${explanation.provider}`,
          `time         ${explanation.timings.totalMs.toFixed(0)} ms`,
          `picture      ${options.out}`,
        ].join('\n') + '\n',
      );
      await explainer.release();
    });

  program
    .command('layers')
    .description('list the model\'s layers (module scopes) with their output shapes')
    .addOption(modelOption())
    .option('--json', 'machine-readable output')
    .action(async (options) => {
      const model = await loadModel({ ...options, provider: 'cpu' });
      const layers = model.listLayers();
      const fallback = model.defaultLayer;
      if (options.json) {
        process.stdout.write(JSON.stringify({ default: fallback, layers }, null, 2) + '\n');
        return;
      }
      for (const layer of layers) {
        const mark = layer.key === fallback ? '  (default)' : '';
        // Channels-last and token layers say how their feature map is read (PAIRX-TRANSFORMERS.md).
        const layout = layer.layout;
        const read =
          layout?.layout === 'tokens'
            ? `  tokens: ${layout.prefix} prefix + ${layout.grid[0]}×${layout.grid[1]}`
            : layout?.layout === 'NHWC'
              ? '  channels-last'
              : '';
        process.stdout.write(`${'  '.repeat(layer.depth - 1)}${layer.key}  [${layer.shape.join(', ')}]${read}${mark}\n`);
      }
    });

  program
    .command('embed')
    .description('embed every image given (folders are scanned recursively)')
    .argument('<paths...>', 'images or folders')
    .addOption(modelOption())
    .addOption(providerOption())
    .option('--batch <n>', 'images per inference batch', positiveInt('--batch'), 16)
    .requiredOption('--out <embeddings.npy>', 'embeddings [N,D]; image paths go to a .txt of the same name')
    .action(async (paths: string[], options) => {
      const images = await collectImages(paths);
      if (images.length === 0) throw new Error('no images found in the paths given');
      const model = await loadModel(options);
      const dim = model.embeddingDim;
      const out = new Float32Array(images.length * dim);
      const bar = new cliProgress.SingleBar(
        { format: 'embedding {bar} {value}/{total} photos | {eta_formatted} left', stream: process.stderr, noTTYOutput: true, notTTYSchedule: 5000 },
        cliProgress.Presets.shades_classic,
      );
      bar.start(images.length, 0);
      const spec = model.inputSpec;
      const perImage = 3 * spec.width * spec.height;
      for (let start = 0; start < images.length; start += options.batch) {
        const slice = images.slice(start, start + options.batch);
        const batch = new Float32Array(slice.length * perImage);
        (await Promise.all(slice.map((p) => preprocess(p, spec)))).forEach((t, i) => batch.set(t, i * perImage));
        const { embeddings } = await model.embed(batch, slice.length);
        out.set(embeddings, start * dim);
        bar.update(start + slice.length);
      }
      bar.stop();
      await writeNpy(options.out, { data: out, shape: [images.length, dim] });
      const listPath = options.out.replace(/\.npy$/i, '') + '.txt';
      await writeFile(listPath, images.join('\n') + '\n');
      process.stdout.write(`${images.length} embeddings of dimension ${dim} → ${options.out} (paths in ${listPath})\n`);
      await model.release();
    });
}
