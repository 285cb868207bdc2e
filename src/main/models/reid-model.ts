import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { InputSpec } from '../imaging/preprocess.ts';
import type { IrModel, IrTensor } from '../onnx/ir.ts';
import { readModel, writeModel } from '../onnx/model-proto.ts';
import { moduleScopes, resolveLayer, type LayerScope } from '../onnx/scopes.ts';
import { createSession, type ProviderChoice, type ProviderName, type Session } from '../onnx/session.ts';
import { probeGraph, type BatchLayout } from '../onnx/shapes.ts';
import { alternativeLayerOf, defaultLayerOf } from './default-layer.ts';
import { checkLayout, inferLayout, layoutGrid, type Grid, type LayerLayout } from './layer-layout.ts';
import { IMAGENET_MEAN, IMAGENET_STD, locateModel, ModelCardError, type ModelCard } from './model-card.ts';

export interface LayerInfo extends LayerScope {
  /** Output shape at batch 1, e.g. [1, 256, 14, 14]. */
  shape: number[];
  /** Where the output is a feature map: its layout and grid. */
  layout?: LayerLayout;
  grid?: Grid;
}

const product = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/** How a model holds a batch, as its probe at batch 1 and 2 showed (onnx/shapes.ts). */
export interface Batching {
  /** Tensors that do not carry the batch plainly in front (attention internals), with where they do. */
  layouts: Map<string, BatchLayout>;
  /** True when the export fixed the batch at 1 (no dynamic batch axis): one image per run. */
  fixedBatch: boolean;
  /** True when the explanation's forward pass runs one image at a time (see compiled-layers.ts). */
  perImageForward: boolean;
  /**
   * Seeds per relevance run. Where some tensor folds the batch with other axes and the probe could not
   * run at batch 2 to show how (a fixed batch), one seed at a time keeps every seed with its own values.
   */
  seedsPerRun: number;
}

/**
 * A re-ID model as loaded from its file and card: the ONNX graph with its probed shapes, the layers
 * PAIR-X can explain, and an embedding session (created on first use). What PAIR-X compiles from it
 * lives with the engine (src/main/pairx/compiled-layers.ts).
 */
export class ReidModel {
  private embedSession?: Promise<Session>;
  private layers?: LayerInfo[];

  private constructor(
    readonly id: string,
    readonly card: ModelCard,
    readonly model: IrModel,
    readonly shapes: Map<string, number[]>,
    /** Values of the graph's shape computations at batch 1, which the relevance rules read as constants. */
    readonly shapeValues: Map<string, IrTensor>,
    /** How the model holds a batch, as its probe showed (see `Batching`). */
    readonly batching: Batching,
    readonly provider: ProviderChoice,
  ) {}

  /** Loads an .onnx file or a model folder (see model cards). */
  static async load(spec: string, options: { provider?: ProviderChoice } = {}): Promise<ReidModel> {
    const location = locateModel(spec);
    const bytes = await readFile(location.onnxPath);
    const model = readModel(bytes, location.onnxPath);
    const graphInput = model.graph.inputs[0];
    const card: ModelCard = location.card ?? {
      name: location.onnxPath
        .split(/[\\/]/)
        .pop()!
        .replace(/\.onnx$/i, ''),
      file: location.onnxPath,
      input: {
        name: graphInput.name,
        width: Number(graphInput.shape[3]),
        height: Number(graphInput.shape[2]),
        mean: IMAGENET_MEAN,
        std: IMAGENET_STD,
        channelOrder: 'RGB',
      },
      embedding: { name: model.graph.outputs[0].name },
    };
    if (!Number.isInteger(card.input.width) || !Number.isInteger(card.input.height)) {
      throw new ModelCardError(
        `${location.onnxPath}: the model's input has no fixed height and width; give a model card with input.width and input.height`,
      );
    }
    if (!model.graph.inputs.some((i) => i.name === card.input.name)) {
      throw new ModelCardError(
        `${location.onnxPath}: the model has no input '${card.input.name}' (inputs: ${model.graph.inputs.map((i) => i.name).join(', ')})`,
      );
    }
    // An export without a dynamic batch axis (torch.onnx.export's default) takes one image per run.
    const declaredBatch = model.graph.inputs.find((i) => i.name === card.input.name)?.shape[0];
    const fixedBatch = typeof declaredBatch === 'number' && declaredBatch > 0;
    const { shapes, shapeValues, batchLayouts, batchable } = await probeGraph(model, card.input.name, [1, 3, card.input.height, card.input.width], {
      batchable: !fixedBatch,
    });
    if (!shapes.has(card.embedding.name)) {
      throw new ModelCardError(`${location.onnxPath}: the model has no output '${card.embedding.name}'`);
    }
    // [B, D] or, where the head was replaced by Identity after a pooling, [B, D, 1, 1]: read as [B, D].
    const embeddingDims = shapes.get(card.embedding.name)!;
    if (embeddingDims.length < 2 || embeddingDims.slice(2).some((d) => d !== 1)) {
      throw new ModelCardError(
        `${location.onnxPath}: output '${card.embedding.name}' of shape [${embeddingDims}] is no embedding [batch, D] (nor [batch, D, 1, 1])`,
      );
    }
    const id = `${card.name}@${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`;
    const batching: Batching = {
      layouts: batchLayouts,
      fixedBatch,
      // Statistics are sliced per image along axis 0 (outside any windows); elsewhere one image runs at a time.
      perImageForward: batchLayouts.size > 0 || !batchable || fixedBatch,
      seedsPerRun: batchable ? Number.POSITIVE_INFINITY : 1,
    };
    return new ReidModel(id, card, model, shapes, shapeValues, batching, options.provider ?? 'auto');
  }

  get inputSpec(): InputSpec {
    const { width, height, mean, std } = this.card.input;
    return { width, height, mean, std };
  }

  get embeddingDim(): number {
    return product(this.shapes.get(this.card.embedding.name)!.slice(1));
  }

  /** The embedding's shape at batch 1 as the graph has it ([1, D], or [1, D, 1, 1] and the like). */
  get embeddingDims(): number[] {
    return this.shapes.get(this.card.embedding.name)!;
  }

  /** The layer PAIR-X uses when none is given: the card's, else the rule of models/default-layer.ts. */
  get defaultLayer(): string {
    if (this.card.defaultLayer) return this.card.defaultLayer;
    return defaultLayerOf(this.listLayers(), this.model.graph, this.card.input.height);
  }

  /** A layer to try where an explanation at `key` is not faithful (models/default-layer.ts). */
  alternativeLayer(key: string): string | undefined {
    return alternativeLayerOf(this.listLayers(), this.model.graph, this.card.input.height, key, this.defaultLayer);
  }

  /** The layout of a layer's output: the card's, else what the graph tells (see layer-layout.ts). */
  layerLayout(key: string, tensor: string): LayerLayout | undefined {
    const dims = this.shapes.get(tensor);
    if (!dims) return undefined;
    const stated = this.card.layouts?.[key] ?? this.card.layouts?.[tensor];
    if (stated) {
      checkLayout(key, dims, stated);
      return stated;
    }
    return inferLayout(dims, this.model.graph, this.shapes, this.card.input);
  }

  listLayers(): LayerInfo[] {
    this.layers ??= moduleScopes(this.model.graph).map((scope) => {
      const shape = this.shapes.get(scope.tensor) ?? [];
      const layout = this.layerLayout(scope.key, scope.tensor);
      return { ...scope, shape, ...(layout ? { layout, grid: layoutGrid(shape, layout) } : {}) };
    });
    return this.layers;
  }

  resolveLayer(layer?: string): { key: string; tensor: string } {
    return resolveLayer(this.model.graph, layer ?? this.defaultLayer);
  }

  private embedder(): Promise<Session> {
    this.embedSession ??= createSession(writeModel(this.model), this.provider);
    return this.embedSession;
  }

  /** Embeddings of a batch of preprocessed images [n,3,H,W] → [n,D]. */
  async embed(
    batch: Float32Array,
    count: number,
  ): Promise<{ embeddings: Float32Array; provider: ProviderName }> {
    const session = await this.embedder();
    const { height, width } = this.card.input;
    const run = async (data: Float32Array, n: number) =>
      (await session.run({ [this.card.input.name]: { data, dims: [n, 3, height, width] } }, [this.card.embedding.name]))[
        this.card.embedding.name
      ].data as Float32Array;
    if (!this.batching.fixedBatch || count === 1) return { embeddings: await run(batch, count), provider: session.provider };
    const perImage = 3 * height * width;
    const embeddings = new Float32Array(count * this.embeddingDim);
    for (let i = 0; i < count; i++) embeddings.set(await run(batch.subarray(i * perImage, (i + 1) * perImage), 1), i * this.embeddingDim);
    return { embeddings, provider: session.provider };
  }

  /** Lets go of the embedding session. */
  async release(): Promise<void> {
    const session = this.embedSession;
    this.embedSession = undefined;
    if (session) await (await session).release();
  }
}
