import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { PROVIDER_CHOICES } from '../../shared/api.ts';
import { describeError, unfaithfulMessage } from '../../shared/conservation.ts';
import { EXPLAIN_LIMITS } from '../../shared/explanation.ts';
import { writeNpy } from '../arrays/npy.ts';
import { embedPhotos, explainFiles, loadModel } from '../engine.ts';
import { PairxError } from '../errors.ts';
import type { Explanation } from '../pairx/explanation.ts';

export { loadModel };

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff']);

const positiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number ≥ 0`);
  return n;
};

export const modelOption = () => new Option('--model <file.onnx | folder>', 'ONNX model or model folder with card.json (default: the bundled model)');
export const providerOption = () =>
  new Option('--provider <name>', 'execution provider').choices([...PROVIDER_CHOICES]).default('auto');

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
    conservation: explanation.conservation,
    matches: explanation.matches,
  };
}

/** Rows [Σ seed, Σ relevance, error] per pass of one image: the layer pass, then each pixel map (NaN: non-finite). */
function conservationRows(e: Explanation, image: 0 | 1): Float32Array {
  const passes = [e.conservation.layer[image], ...e.conservation.pixels[image]];
  return Float32Array.from(passes.flatMap((p) => [p.seed, p.relevance ?? Number.NaN, p.error ?? Number.NaN]));
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
      writeNpy(join(dir, `conservation${i}.npy`), { data: conservationRows(e, i as 0 | 1), shape: [1 + e.kColors, 3] }),
    ]),
  );
}

/** Image files under each path (folders scanned recursively), in a stable order. */
export async function collectImages(paths: string[]): Promise<string[]> {
  const found: string[] = [];
  const visit = async (path: string) => {
    const info = await stat(path).catch(() => {
      throw new PairxError('not-found', `${path}: no such file or folder`);
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
      throw new PairxError('invalid-arguments', `${path}: not a JPEG, PNG, WebP or TIFF image`);
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
      const { explanation, png } = await explainFiles(imageA, imageB, options);
      for (const warning of explanation.warnings) process.stderr.write(`pairx: ${warning}\n`);
      const guard = explanation.conservation;
      if (!guard.faithful) process.stderr.write(`pairx: warning: ${unfaithfulMessage(explanation.layer.key, guard.worst, guard.suggestedLayer)}\n`);
      await writeFile(options.out, png);
      if (options.json) await writeFile(options.json, JSON.stringify(explanationJson(explanation), null, 2));
      if (options.arrays) await writeArrays(options.arrays, explanation);
      const p = explanation.plausibility;
      process.stdout.write(
        [
          `similarity   ${explanation.similarity.toFixed(4)}`,
          `layer        ${explanation.layer.key} [${explanation.layer.channels}×${explanation.layer.height}×${explanation.layer.width}]`,
          `matches      ${explanation.matches.length} (lines ${explanation.kLines}, pixel maps ${explanation.kColors})`,
          `plausibility ${p ? `${(p.inlierRatio * 100).toFixed(0)}% inliers, median error ${(p.medianError * 100).toFixed(1)}% of diagonal` : 'n/a (fewer than 5 matches)'}`,
          `conservation ${guard.faithful ? 'faithful' : 'NOT FAITHFUL'}: relevance at the layer ${describeError(guard.worstLayer)} off, pixel maps ${describeError(guard.worstPixels)} off at worst (bounds ${describeError(guard.bounds.layer)}, ${describeError(guard.bounds.pixels)})`,
          `provider     ${explanation.provider}`,
          `time         ${explanation.timings.totalMs.toFixed(0)} ms`,
          `picture      ${options.out}`,
        ].join('\n') + '\n',
      );
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
      if (images.length === 0) throw new PairxError('invalid-arguments', 'no images found in the paths given');
      const model = await loadModel(options);
      const dim = model.embeddingDim;
      const bar = new cliProgress.SingleBar(
        { format: 'embedding {bar} {value}/{total} photos | {eta_formatted} left', stream: process.stderr, noTTYOutput: true, notTTYSchedule: 5000 },
        cliProgress.Presets.shades_classic,
      );
      bar.start(images.length, 0);
      const out = await embedPhotos(model, images, options.batch, (done) => bar.update(done));
      bar.stop();
      await writeNpy(options.out, { data: out, shape: [images.length, dim] });
      const listPath = options.out.replace(/\.npy$/i, '') + '.txt';
      await writeFile(listPath, images.join('\n') + '\n');
      process.stdout.write(`${images.length} embeddings of dimension ${dim} → ${options.out} (paths in ${listPath})\n`);
      await model.release();
    });
}
