import type { Embedder } from '../catalog/embedder.ts';
import { preprocess } from '../imaging/preprocess.ts';
import type { ReidModel } from './reid-model.ts';

/** The catalog's Embedder backed by a loaded ReidModel: photos preprocessed per the card, one batch per call. */
export function modelEmbedder(model: ReidModel): Embedder & { calibration: ReidModel['card']['calibration'] } {
  const spec = model.inputSpec;
  const perImage = 3 * spec.width * spec.height;
  return {
    modelId: model.id,
    dim: model.embeddingDim,
    calibration: model.card.calibration,
    async embed(items) {
      const batch = new Float32Array(items.length * perImage);
      const tensors = await Promise.all(items.map((item) => preprocess(item.path, spec, item.crop)));
      tensors.forEach((t, i) => batch.set(t, i * perImage));
      const { embeddings } = await model.embed(batch, items.length);
      return items.map((_, i) => embeddings.slice(i * model.embeddingDim, (i + 1) * model.embeddingDim));
    },
  };
}
