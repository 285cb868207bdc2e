import type { Embedder, EmbedderRequest } from '../catalog/embedder.ts';
import { preprocess } from '../imaging/preprocess.ts';
import { defaultModelPath } from '../models/default-model.ts';
import type { ProviderChoice } from '../onnx/session.ts';
import { ReidModel } from './reid-model.ts';

/** The catalog's Embedder backed by a ReidModel (the bundled default unless a model is named). */
export async function createEmbedder(request: EmbedderRequest): Promise<Embedder & { model: ReidModel }> {
  const model = await ReidModel.load(request.model ?? defaultModelPath(), {
    provider: (request.provider ?? 'auto') as ProviderChoice,
  });
  const spec = model.inputSpec;
  const perImage = 3 * spec.width * spec.height;
  return {
    model,
    modelId: model.id,
    dim: model.embeddingDim,
    async embed(items) {
      const batch = new Float32Array(items.length * perImage);
      const tensors = await Promise.all(items.map((item) => preprocess(item.path, spec, item.crop)));
      tensors.forEach((t, i) => batch.set(t, i * perImage));
      const { embeddings } = await model.embed(batch, items.length);
      return items.map((_, i) => embeddings.slice(i * model.embeddingDim, (i + 1) * model.embeddingDim));
    },
  };
}
