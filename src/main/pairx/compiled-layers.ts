import { PairxError } from '../errors.ts';
import { layoutGrid, type Grid, type LayerLayout } from '../models/layer-layout.ts';
import type { ReidModel } from '../models/reid-model.ts';
import { DataType, type IrValueInfo } from '../onnx/ir.ts';
import { writeModel } from '../onnx/model-proto.ts';
import { createSession, type NamedArray, type Session } from '../onnx/session.ts';
import { canonize, type CanonicalModel } from '../relevance/canonize.ts';
import { compileRelevance } from '../relevance/compiler.ts';

/** What PAIR-X runs for one layer of one model: the forward pass with statistics and both relevance passes. */
export interface CompiledLayer {
  key: string;
  tensor: string;
  /** The layer in the canonised graph the relevance passes run on; its activations seed pixel relevance. */
  relevanceTensor: string;
  /** How the layer's output holds its feature map, and the map's grid. */
  layout: LayerLayout;
  grid: Grid;
  /** The layer's output shape at batch 1. */
  dims: number[];
  /**
   * True when the forward pass runs one image at a time: where tensors carry the batch on other axes
   * than the first (or fold it with windows), batch 1 keeps every statistic one image's own.
   */
  perImageForward: boolean;
  /** Pixel seeds per relevance run (models/reid-model.ts `Batching`). */
  seedsPerRun: number;
  forward: Session;
  toLayer: { session: Session; stats: string[] };
  toPixels: { session: Session; stats: string[] };
  /**
   * Where compiling the layer spent its time: canonising (once per model), the rules, onnxruntime's
   * sessions. The sessions are not run on dummy inputs first: the first explanation's own runs plan
   * onnxruntime's memory, and a warm-up run of each (zeros through every relevance pass) cost more than
   * it saved — 1 to 4 s of a 3 to 11 s first explanation, 40 s of EfficientNetV2-rw-m's at 440 px.
   */
  timings: { canonizeMs: number; compileMs: number; sessionsMs: number };
}

/**
 * One image of a tensor computed for a batch of `batch` images (a view, not a copy). The images are
 * the outer factor of the leading axis, which is the batch itself or, where the export folded more
 * into it (Swin's windows), batch × windows.
 */
export function sliceBatch(value: NamedArray, index: number, batch: number): NamedArray {
  const per = value.data.length / batch;
  return {
    data: value.data.subarray(index * per, (index + 1) * per) as NamedArray['data'],
    dims: [value.dims[0] / batch, ...value.dims.slice(1)],
  };
}

/**
 * Above this much forward statistics per image, the forward pass runs one image at a time. Two images in
 * one batch save a call but double the memory one call touches, and memory touched for the first time
 * costs more than the batch saves: EfficientNetV2-rw-m at 440 px (794 MiB per image) took 18.0 s for its
 * first explanation batched and 13.7–15.1 s one image at a time, with 1 GB less at its peak; smaller models
 * (the default one: 68 MiB; ResNet-50, ViT-B: 127–190 MiB) stay batched.
 */
const PER_IMAGE_STATISTICS_BYTES = 256 * 2 ** 20;

/** The bytes of the statistics the relevance passes read, for one image (each tensor once). */
function statisticsBytes(inputs: IrValueInfo[][]): number {
  const sizes = new Map<string, number>();
  for (const input of inputs.flat()) {
    const elements = input.shape.reduce<number>((product, dim) => product * (typeof dim === 'number' ? dim : 1), 1);
    sizes.set(input.name, elements * (input.elemType === DataType.INT64 ? 8 : 4));
  }
  return [...sizes.values()].reduce((sum, size) => sum + size, 0);
}

/**
 * The compile cache of one model: its canonised graph (built once) and the sessions compiled per layer
 * on first use, kept until `release`.
 */
export class CompiledLayers {
  private readonly layers = new Map<string, Promise<CompiledLayer>>();
  private canonical?: CanonicalModel;

  constructor(private readonly model: ReidModel) {}

  /** Compiles (once per layer) the forward+statistics model and both relevance passes. */
  get(layer?: string): Promise<CompiledLayer> {
    const { key, tensor } = this.model.resolveLayer(layer);
    let compiled = this.layers.get(tensor);
    if (!compiled) {
      compiled = this.build(key, tensor);
      this.layers.set(tensor, compiled);
      compiled.catch(() => this.layers.delete(tensor));
    }
    return compiled;
  }

  private async build(key: string, tensor: string): Promise<CompiledLayer> {
    const { card, shapes, provider } = this.model;
    const layerDims = shapes.get(tensor)!;
    const layout = this.model.layerLayout(key, tensor);
    if (!layout) {
      throw new PairxError(
        'invalid-arguments',
        `layer ${key}: its output [${layerDims}] is no feature map (NCHW, NHWC or tokens); choose another layer`,
      );
    }
    const started = performance.now();
    let canonized = started;
    const compiled = this.compile(() => {
      this.canonical ??= canonize(this.model.model, { shapeValues: this.model.shapeValues, shapes });
      canonized = performance.now();
      const lrp = this.canonical.relevanceName;
      return compileRelevance(this.canonical, shapes, {
        batchLayouts: this.model.batching.layouts,
        inputName: card.input.name,
        outputs: [...new Set([card.embedding.name, tensor, lrp(tensor)])],
        passes: [
          { from: lrp(card.embedding.name), to: lrp(tensor) },
          { from: lrp(tensor), to: card.input.name },
        ],
      });
    });
    const rulesCompiled = performance.now();
    const [forward, toLayer, toPixels] = await Promise.all([
      createSession(writeModel(compiled.forward), provider),
      createSession(writeModel(compiled.passes[0].model), provider),
      createSession(writeModel(compiled.passes[1].model), provider),
    ]);
    const sessionsCreated = performance.now();
    const statBytes = statisticsBytes(compiled.passes.map((pass) => pass.model.graph.inputs.filter((input) => input.name !== 'seed')));
    return {
      key,
      tensor,
      relevanceTensor: this.canonical!.relevanceName(tensor),
      layout,
      grid: layoutGrid(layerDims, layout),
      dims: layerDims,
      perImageForward: this.model.batching.perImageForward || statBytes > PER_IMAGE_STATISTICS_BYTES,
      seedsPerRun: this.model.batching.seedsPerRun,
      forward,
      toLayer: { session: toLayer, stats: compiled.passes[0].stats },
      toPixels: { session: toPixels, stats: compiled.passes[1].stats },
      timings: {
        canonizeMs: canonized - started,
        compileMs: rulesCompiled - canonized,
        sessionsMs: sessionsCreated - rulesCompiled,
      },
    };
  }

  /**
   * Canonisation and compilation of one layer. What they refuse is this model's limit, not a bug: the
   * operators' own refusals come as plain errors and are reported as an unsupported model.
   */
  private compile<T>(run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (error instanceof PairxError) throw error;
      throw new PairxError('unsupported-model', `${this.model.id}: ${(error as Error).message}`);
    }
  }

  async release(): Promise<void> {
    const sessions: Session[] = [];
    for (const layer of this.layers.values()) {
      const compiled = await layer.catch(() => undefined);
      if (compiled) sessions.push(compiled.forward, compiled.toLayer.session, compiled.toPixels.session);
    }
    this.layers.clear();
    await Promise.all(sessions.map((s) => s.release()));
  }
}
