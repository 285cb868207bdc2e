import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { InputSpec } from '../imaging/preprocess.ts';
import type { IrModel, IrTensor } from '../onnx/ir.ts';
import { readModel, writeModel } from '../onnx/model-proto.ts';
import { moduleScopes, resolveLayer, type LayerScope } from '../onnx/scopes.ts';
import { createSession, type ProviderChoice, type ProviderName, type Session } from '../onnx/session.ts';
import { probeGraph } from '../onnx/shapes.ts';
import { checkLayout, inferLayout, layoutGrid, type Grid, type LayerLayout } from './layer-layout.ts';
import { IMAGENET_MEAN, IMAGENET_STD, locateModel, ModelCardError, type ModelCard } from './model-card.ts';

export interface LayerInfo extends LayerScope {
  /** Output shape at batch 1, e.g. [1, 256, 14, 14]. */
  shape: number[];
  /** Where the output is a feature map: its layout and grid. */
  layout?: LayerLayout;
  grid?: Grid;
}

/** Modules named like the children of a list (`blocks.7`, `encoder_layer_7`): index and parent. */
const LIST_CHILD = /^(.*)[._](\d+)$/;

const product = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/**
 * A re-ID model as loaded from its file and card: the ONNX graph with its probed shapes, the layers
 * PAIR-X can explain, and an embedding session (created on first use). What PAIR-X compiles from it
 * lives with the engine (src/main/pairx/compiled-layers.ts).
 */
export class ReidModel {
  private embedSession?: Promise<Session>;

  private constructor(
    readonly id: string,
    readonly card: ModelCard,
    readonly model: IrModel,
    readonly shapes: Map<string, number[]>,
    /** Values of the graph's shape computations at batch 1, which the relevance rules read as constants. */
    readonly shapeValues: Map<string, IrTensor>,
    /** Tensors that carry the batch on another axis than the first (attention internals), by axis. */
    readonly batchAxes: Map<string, number>,
    /** True when the explanation's forward pass runs one image at a time (see compiled-layers.ts). */
    readonly perImageForward: boolean,
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
    const { shapes, shapeValues, batchAxes, batchable } = await probeGraph(model, card.input.name, [1, 3, card.input.height, card.input.width]);
    if (!shapes.has(card.embedding.name)) {
      throw new ModelCardError(`${location.onnxPath}: the model has no output '${card.embedding.name}'`);
    }
    const id = `${card.name}@${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`;
    const perImageForward = batchAxes.size > 0 || !batchable;
    return new ReidModel(id, card, model, shapes, shapeValues, batchAxes, perImageForward, options.provider ?? 'auto');
  }

  get inputSpec(): InputSpec {
    const { width, height, mean, std } = this.card.input;
    return { width, height, mean, std };
  }

  get embeddingDim(): number {
    return product(this.shapes.get(this.card.embedding.name)!.slice(1));
  }

  /**
   * The layer PAIR-X uses when none is given: the card's; else, among modules (nesting depth ≤ 3, the
   * shallowest name for a tensor) whose output is a feature map with at least 1/16 of the input's rows
   * (14×14 at 224 px, the resolution of the reference's usual layers, so that there are enough positions
   * to match), the deepest — for CNNs and Swin (its third stage) the last one before the grid gets too
   * coarse. A ViT keeps one grid through all its blocks, and its last blocks mix tokens globally (their
   * maps spread over the whole image), so there the block at two thirds of the depth is taken.
   */
  get defaultLayer(): string {
    if (this.card.defaultLayer) return this.card.defaultLayer;
    const producedAt = new Map<string, number>();
    this.model.graph.nodes.forEach((node, i) => node.outputs.forEach((o) => producedAt.set(o, i)));
    const layers = this.listLayers();
    const byTensor = new Map<string, LayerInfo>();
    for (const layer of layers) {
      if (!layer.grid || layer.depth > 3 || layer.grid.height <= 1) continue;
      const known = byTensor.get(layer.tensor);
      if (!known || layer.depth < known.depth) byTensor.set(layer.tensor, layer);
    }
    const spatial = [...byTensor.values()].sort(
      (a, b) => (producedAt.get(a.tensor) ?? 0) - (producedAt.get(b.tensor) ?? 0),
    );
    const fine = spatial.filter((l) => l.grid!.height * 16 >= this.card.input.height);
    // Siblings of a list counted in full: the last block shares its tensor with the list itself.
    const tokenBlocks = layers.filter(
      (l) => l.layout?.layout === 'tokens' && l.depth <= 3 && l.grid!.height * 16 >= this.card.input.height && LIST_CHILD.test(l.key),
    );
    const parents = new Map<string, LayerInfo[]>();
    for (const block of tokenBlocks) {
      const parent = LIST_CHILD.exec(block.key)![1];
      parents.set(parent, [...(parents.get(parent) ?? []), block]);
    }
    const blocks = [...parents.values()].sort((a, b) => b.length - a.length)[0];
    if (blocks && blocks.length >= 3) return blocks[Math.ceil((2 * blocks.length) / 3) - 1].key;
    return (fine.at(-1) ?? spatial.at(-1))?.key ?? '';
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
    return moduleScopes(this.model.graph).map((scope) => {
      const shape = this.shapes.get(scope.tensor) ?? [];
      const layout = this.layerLayout(scope.key, scope.tensor);
      return { ...scope, shape, ...(layout ? { layout, grid: layoutGrid(shape, layout) } : {}) };
    });
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
    const out = await session.run(
      { [this.card.input.name]: { data: batch, dims: [count, 3, height, width] } },
      [this.card.embedding.name],
    );
    return { embeddings: out[this.card.embedding.name].data as Float32Array, provider: session.provider };
  }

  /** Lets go of the embedding session. */
  async release(): Promise<void> {
    const session = this.embedSession;
    this.embedSession = undefined;
    if (session) await (await session).release();
  }
}
