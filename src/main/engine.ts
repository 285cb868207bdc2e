import { extname } from 'node:path';
import type { ProviderChoice } from '../shared/api.ts';
import { readNpy } from './arrays/npy.ts';
import { PairxError } from './errors.ts';
import { modelView, normalise, preprocess } from './imaging/preprocess.ts';
import { defaultModelPath } from './models/default-model.ts';
import { ReidModel } from './models/reid-model.ts';
import type { Explanation } from './pairx/explanation.ts';
import { PairExplainer, type ExplainOptions } from './pairx/pair-explainer.ts';
import { denormalise, renderExplanationPng, type RgbImage } from './render/explanation-png.ts';

/**
 * The engine over image files, for the commands that need no catalog (`pairx explain`, `layers`,
 * `embed`, `evaluate`): load a model, explain two photos or tensors into data and a picture, embed
 * photos in batches. The CLI's engine commands are a front over this, as the catalog's are over the
 * Workbench.
 */

export interface ModelChoice {
  /** An .onnx file or a model folder; the bundled default when absent. */
  model?: string;
  provider?: ProviderChoice;
}

export function loadModel(choice: ModelChoice): Promise<ReidModel> {
  return ReidModel.load(choice.model ?? defaultModelPath(), { provider: choice.provider ?? 'auto' });
}

/** An input as the model's tensor and the model-sized RGB view used for pictures. */
async function readInput(path: string, model: ReidModel): Promise<{ tensor: Float32Array; view: RgbImage }> {
  const spec = model.inputSpec;
  if (extname(path).toLowerCase() === '.npy') {
    const array = await readNpy(path);
    const expected = [1, 3, spec.height, spec.width];
    if (array.shape.join() !== expected.join() && array.shape.join() !== expected.slice(1).join()) {
      throw new PairxError(
        'invalid-arguments',
        `${path}: tensor of shape [${array.shape}] does not fit the model input [${expected}]`,
      );
    }
    return { tensor: array.data, view: denormalise(array.data, spec.width, spec.height, spec.mean, spec.std) };
  }
  const rgb = await modelView(path, spec);
  return { tensor: normalise(rgb, spec), view: { data: rgb, width: spec.width, height: spec.height } };
}

/**
 * PAIR-X for two photos (JPEG, PNG, WebP, TIFF) or preprocessed `.npy` tensors: the explanation and its
 * picture in the reference layout. The model's sessions are released before it returns.
 */
export async function explainFiles(
  pathA: string,
  pathB: string,
  options: ModelChoice & ExplainOptions,
): Promise<{ explanation: Explanation; png: Buffer }> {
  const explainer = new PairExplainer(await loadModel(options));
  try {
    const { model } = explainer;
    const [a, b] = await Promise.all([readInput(pathA, model), readInput(pathB, model)]);
    const explanation = await explainer.explain(a.tensor, b.tensor, options);
    return { explanation, png: await renderExplanationPng(explanation, [a.view, b.view]) };
  } finally {
    await explainer.release();
  }
}

/**
 * Embeddings of photos, `batchSize` at a time, in order: [paths.length × model.embeddingDim].
 * `onBatch` hears how many are done after each batch.
 */
export async function embedPhotos(
  model: ReidModel,
  paths: readonly string[],
  batchSize: number,
  onBatch?: (done: number) => void,
): Promise<Float32Array> {
  const spec = model.inputSpec;
  const perImage = 3 * spec.width * spec.height;
  const dim = model.embeddingDim;
  const out = new Float32Array(paths.length * dim);
  for (let start = 0; start < paths.length; start += batchSize) {
    const slice = paths.slice(start, start + batchSize);
    const batch = new Float32Array(slice.length * perImage);
    (await Promise.all(slice.map((p) => preprocess(p, spec)))).forEach((t, i) => batch.set(t, i * perImage));
    const { embeddings } = await model.embed(batch, slice.length);
    out.set(embeddings, start * dim);
    onBatch?.(start + slice.length);
  }
  return out;
}
