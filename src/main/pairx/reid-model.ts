import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { IMAGENET_MEAN, IMAGENET_STD, locateModel, type ModelCard } from '../models/model-card.ts';
import type { IrModel } from '../onnx/ir.ts';
import { readModel, writeModel } from '../onnx/model-proto.ts';
import { moduleScopes, resolveLayer, type LayerScope } from '../onnx/scopes.ts';
import {
  createSession,
  type NamedArray,
  type ProviderChoice,
  type ProviderName,
  type Session,
} from '../onnx/session.ts';
import { probeShapes } from '../onnx/shapes.ts';
import { canonize, type CanonicalModel } from '../relevance/canonize.ts';
import { compileRelevance } from '../relevance/compiler.ts';
import type { InputSpec } from '../imaging/preprocess.ts';
import { mutualNearestNeighbours, type Match } from './matching.ts';
import { measurePlausibility, type Plausibility } from './plausibility.ts';

export interface ExplainOptions {
  /** Module key or tensor name; the card's default layer when absent. */
  layer?: string;
  kLines?: number;
  kColors?: number;
}

export interface Explanation {
  similarity: number;
  layer: { key: string; tensor: string; channels: number; height: number; width: number };
  input: { width: number; height: number };
  provider: ProviderName;
  embeddings: [Float32Array, Float32Array];
  seeds: [Float32Array, Float32Array];
  /** [C,h,w] per image. */
  featureMaps: [Float32Array, Float32Array];
  /** M_i = |Σ_c R_i[c]|, [h,w] per image. */
  relevanceMaps: [Float32Array, Float32Array];
  /** Every mutual-nearest-neighbour match, most relevant first. */
  matches: Match[];
  kLines: number;
  /** Matches with pixel maps (the top kColors, or all when fewer). */
  kColors: number;
  /** [kColors,H,W] per image, in match order. */
  pixelMaps: [Float32Array, Float32Array];
  plausibility: Plausibility | null;
  timings: { forwardMs: number; relevanceMs: number; matchingMs: number; pixelMs: number; totalMs: number };
  warnings: string[];
}

type PerImage = [(name: string) => NamedArray, (name: string) => NamedArray];

/**
 * Steps 1–5 of an explanation, with what step 6 needs from the forward pass: its statistics (every
 * intermediate tensor the relevance passes read; about 150 MB for MobileNetV2 at 288×224), which a
 * holder of many pairs releases with `releaseForward` (step 6 then runs the forward pass again from
 * the images).
 */
export interface MatchedPair extends Omit<Explanation, 'kColors' | 'pixelMaps'> {
  forwardState: { layer: CompiledLayer; images: [Float32Array, Float32Array]; perImage: PerImage | null };
}

/** Lets go of a matched pair's forward statistics; its pixel maps can still be computed, a forward pass later. */
export function releaseForward(matched: MatchedPair): void {
  matched.forwardState.perImage = null;
}

interface CompiledLayer {
  key: string;
  tensor: string;
  /** The layer in the canonised graph the relevance passes run on; its activations seed pixel relevance. */
  relevanceTensor: string;
  forward: Session;
  toLayer: { session: Session; stats: string[] };
  toPixels: { session: Session; stats: string[] };
}

export interface LayerInfo extends LayerScope {
  /** Output shape at batch 1, e.g. [1, 256, 14, 14]. */
  shape: number[];
}

const product = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

function sliceBatch(value: NamedArray, index: number): NamedArray {
  const per = product(value.dims.slice(1));
  return {
    data: value.data.subarray(index * per, (index + 1) * per) as NamedArray['data'],
    dims: [1, ...value.dims.slice(1)],
  };
}

/** ∂cos(e0,e1)/∂e0 = e1/(|e0||e1|) − cos·e0/|e0|², the seed of the intermediate relevance pass. */
export function cosineSeeds(
  e0: Float32Array,
  e1: Float32Array,
): { similarity: number; seeds: [Float32Array, Float32Array] } {
  let dot = 0;
  let n0 = 0;
  let n1 = 0;
  for (let i = 0; i < e0.length; i++) {
    dot += e0[i] * e1[i];
    n0 += e0[i] * e0[i];
    n1 += e1[i] * e1[i];
  }
  const norm0 = Math.sqrt(n0);
  const norm1 = Math.sqrt(n1);
  const similarity = dot / (norm0 * norm1);
  const seed = (a: Float32Array, b: Float32Array, na: number, nb: number) =>
    Float32Array.from(a, (ai, i) => b[i] / (na * nb) - (similarity * ai) / (na * na));
  return { similarity, seeds: [seed(e0, e1, norm0, norm1), seed(e1, e0, norm1, norm0)] };
}

/** |Σ_c R[c]| for each of `count` maps of `channels`×`plane`. */
function channelSumAbs(data: Float32Array, count: number, channels: number, plane: number): Float32Array {
  const out = new Float32Array(count * plane);
  for (let k = 0; k < count; k++) {
    for (let c = 0; c < channels; c++) {
      const base = (k * channels + c) * plane;
      for (let p = 0; p < plane; p++) out[k * plane + p] += data[base + p];
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = Math.abs(out[i]);
  return out;
}

/**
 * A re-ID model ready to embed and explain: the ONNX model, its card, an embedding session, and
 * compiled relevance graphs cached per layer (compiled on first use).
 */
export class ReidModel {
  private embedSession?: Promise<Session>;
  private readonly layers = new Map<string, Promise<CompiledLayer>>();
  private canonical?: CanonicalModel;

  private constructor(
    readonly id: string,
    readonly card: ModelCard,
    readonly model: IrModel,
    readonly shapes: Map<string, number[]>,
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
      throw new Error(
        `${location.onnxPath}: the model's input has no fixed height and width; give a model card with input.width and input.height`,
      );
    }
    if (!model.graph.inputs.some((i) => i.name === card.input.name)) {
      throw new Error(
        `${location.onnxPath}: the model has no input '${card.input.name}' (inputs: ${model.graph.inputs.map((i) => i.name).join(', ')})`,
      );
    }
    const shapes = await probeShapes(model, card.input.name, [1, 3, card.input.height, card.input.width]);
    if (!shapes.has(card.embedding.name)) {
      throw new Error(`${location.onnxPath}: the model has no output '${card.embedding.name}'`);
    }
    const id = `${card.name}@${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`;
    return new ReidModel(id, card, model, shapes, options.provider ?? 'auto');
  }

  get inputSpec(): InputSpec {
    const { width, height, mean, std } = this.card.input;
    return { width, height, mean, std };
  }

  get embeddingDim(): number {
    return product(this.shapes.get(this.card.embedding.name)!.slice(1));
  }

  /**
   * The layer PAIR-X uses when none is given: the card's; else the deepest module (nesting depth ≤ 3,
   * the shallowest name for a tensor) whose feature map still has at least 1/16 of the input's rows
   * (14×14 at 224 px, the resolution of the reference's usual layers), so that there are enough
   * positions to match.
   */
  get defaultLayer(): string {
    if (this.card.defaultLayer) return this.card.defaultLayer;
    const producedAt = new Map<string, number>();
    this.model.graph.nodes.forEach((node, i) => node.outputs.forEach((o) => producedAt.set(o, i)));
    const byTensor = new Map<string, LayerInfo>();
    for (const layer of this.listLayers()) {
      if (layer.shape.length !== 4 || layer.depth > 3 || layer.shape[2] <= 1) continue;
      const known = byTensor.get(layer.tensor);
      if (!known || layer.depth < known.depth) byTensor.set(layer.tensor, layer);
    }
    const spatial = [...byTensor.values()].sort(
      (a, b) => (producedAt.get(a.tensor) ?? 0) - (producedAt.get(b.tensor) ?? 0),
    );
    const fine = spatial.filter((l) => l.shape[2] * 16 >= this.card.input.height);
    return (fine.at(-1) ?? spatial.at(-1))?.key ?? '';
  }

  listLayers(): LayerInfo[] {
    return moduleScopes(this.model.graph).map((scope) => ({
      ...scope,
      shape: this.shapes.get(scope.tensor) ?? [],
    }));
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

  /** Compiles (once per layer) the forward+statistics model and both relevance passes. */
  compileLayer(layer?: string): Promise<CompiledLayer> {
    const { key, tensor } = this.resolveLayer(layer);
    let compiled = this.layers.get(tensor);
    if (!compiled) {
      compiled = this.buildLayer(key, tensor);
      this.layers.set(tensor, compiled);
      compiled.catch(() => this.layers.delete(tensor));
    }
    return compiled;
  }

  private async buildLayer(key: string, tensor: string): Promise<CompiledLayer> {
    this.canonical ??= canonize(this.model);
    const lrp = this.canonical.relevanceName;
    const compiled = compileRelevance(this.canonical, this.shapes, {
      inputName: this.card.input.name,
      outputs: [...new Set([this.card.embedding.name, tensor, lrp(tensor)])],
      passes: [
        { from: lrp(this.card.embedding.name), to: lrp(tensor) },
        { from: lrp(tensor), to: this.card.input.name },
      ],
    });
    const [forward, toLayer, toPixels] = await Promise.all([
      createSession(writeModel(compiled.forward), this.provider),
      createSession(writeModel(compiled.passes[0].model), this.provider),
      createSession(writeModel(compiled.passes[1].model), this.provider),
    ]);
    const layerDims = this.shapes.get(tensor)!;
    await this.warmUp(
      forward,
      compiled.forward.graph.outputs.map((o) => o.name),
      [
        { session: toLayer, seedDims: [1, this.embeddingDim] },
        { session: toPixels, seedDims: [10, ...layerDims.slice(1)] },
      ],
    );
    return {
      key,
      tensor,
      relevanceTensor: lrp(tensor),
      forward,
      toLayer: { session: toLayer, stats: compiled.passes[0].stats },
      toPixels: { session: toPixels, stats: compiled.passes[1].stats },
    };
  }

  /**
   * PAIR-X steps 1–5 for two preprocessed images, each [3,H,W] or [1,3,H,W]: similarity, intermediate
   * relevance and ranked matches. The result keeps the forward statistics so that `addPixelMaps` (step 6)
   * needs no second forward pass; interactive views show matches first and pixel maps when ready.
   */
  async matchPair(
    image0: Float32Array,
    image1: Float32Array,
    options: ExplainOptions = {},
  ): Promise<MatchedPair> {
    const started = performance.now();
    const layer = await this.compileLayer(options.layer);
    const { width, height } = this.card.input;
    const embeddingName = this.card.embedding.name;

    // 1. Forward, both images in one batch, with every statistic the relevance passes need.
    const t0 = performance.now();
    const perImage = await this.forwardStats(layer, image0, image1);
    const [fm0, fm1] = perImage.map((stats) => stats(layer.tensor));
    const [, channels, h, w] = fm0.dims;
    const e0 = perImage[0](embeddingName).data as Float32Array;
    const e1 = perImage[1](embeddingName).data as Float32Array;
    const t1 = performance.now();

    // 2–3. Score, seeds, relevance down to the layer.
    const { similarity, seeds } = cosineSeeds(e0, e1);
    const relevanceAtLayer = await Promise.all(
      [0, 1].map(async (i) => {
        const feeds: Record<string, NamedArray> = { seed: { data: seeds[i], dims: [1, seeds[i].length] } };
        for (const stat of layer.toLayer.stats) feeds[stat] = perImage[i](stat);
        const out = await layer.toLayer.session.run(feeds);
        return channelSumAbs(out.relevance.data as Float32Array, 1, channels, h * w);
      }),
    );
    const t2 = performance.now();

    // 4–5. Mutual nearest neighbours, ranked by relevance.
    const grid = (f: NamedArray) => ({ data: f.data as Float32Array, channels, height: h, width: w });
    const matches = mutualNearestNeighbours(
      grid(fm0),
      grid(fm1),
      relevanceAtLayer[0],
      relevanceAtLayer[1],
      width,
      height,
    );
    const t3 = performance.now();
    const kLines = Math.min(options.kLines ?? 20, matches.length);
    return {
      similarity,
      layer: { key: layer.key, tensor: layer.tensor, channels, height: h, width: w },
      input: { width, height },
      provider: layer.forward.provider,
      embeddings: [e0, e1],
      seeds,
      featureMaps: [fm0.data as Float32Array, fm1.data as Float32Array],
      relevanceMaps: [relevanceAtLayer[0], relevanceAtLayer[1]],
      matches,
      kLines,
      plausibility: measurePlausibility(matches.slice(0, kLines), width, height),
      timings: {
        forwardMs: t1 - t0,
        relevanceMs: t2 - t1,
        matchingMs: t3 - t2,
        pixelMs: 0,
        totalMs: performance.now() - started,
      },
      warnings: [],
      forwardState: { layer, images: [image0, image1], perImage },
    };
  }

  /**
   * onnxruntime plans memory and grows its arena over the first runs of a session, which makes them
   * several times slower than later ones. Running each session on zeros here moves that cost into the
   * compilation (the first explanation of a layer) instead of the next pairs a reviewer opens.
   */
  private async warmUp(
    forward: Session,
    forwardOutputs: string[],
    passes: { session: Session; seedDims: number[] }[],
  ): Promise<void> {
    const { width, height, name } = this.card.input;
    const image = { data: new Float32Array(2 * 3 * height * width), dims: [2, 3, height, width] };
    let outputs: Record<string, NamedArray> = {};
    for (let run = 0; run < 2; run++) outputs = await forward.run({ [name]: image }, forwardOutputs);
    for (const { session, seedDims } of passes) {
      const feeds: Record<string, NamedArray> = {
        seed: { data: new Float32Array(product(seedDims)), dims: seedDims },
      };
      for (const input of session.inputNames)
        if (input !== 'seed') feeds[input] = sliceBatch(outputs[input], 0);
      await session.run(feeds);
    }
  }

  /** The forward pass of both images in one batch, with every statistic the relevance passes need, per image. */
  private async forwardStats(
    layer: CompiledLayer,
    image0: Float32Array,
    image1: Float32Array,
  ): Promise<PerImage> {
    const { width, height } = this.card.input;
    const batch = new Float32Array(image0.length * 2);
    batch.set(image0, 0);
    batch.set(image1, image0.length);
    const forward = await layer.forward.run({
      [this.card.input.name]: { data: batch, dims: [2, 3, height, width] },
    });
    return [(name) => sliceBatch(forward[name], 0), (name) => sliceBatch(forward[name], 1)];
  }

  /** PAIR-X step 6: pixel relevance of the top `kColors` matches, one batched pass per image. */
  async addPixelMaps(matched: MatchedPair, requestedColors = 10): Promise<Explanation> {
    const started = performance.now();
    const { layer, images } = matched.forwardState;
    const perImage = matched.forwardState.perImage ?? (await this.forwardStats(layer, images[0], images[1]));
    const { channels, height: h, width: w } = matched.layer;
    const { width, height } = matched.input;
    const matches = matched.matches;
    const warnings = [...matched.warnings];
    const kColors = Math.min(requestedColors, matches.length);
    if (requestedColors > matches.length) {
      warnings.push(
        `--k-colors ${requestedColors} is more than the ${matches.length} matches; using all ${matches.length}`,
      );
    }
    const plane = h * w;
    const pixelMaps = await Promise.all(
      [0, 1].map(async (i) => {
        if (kColors === 0) return new Float32Array(0);
        // As in the reference, the seed holds the layer's activations as the canonised model computes them.
        const fm = perImage[i](layer.relevanceTensor).data as Float32Array;
        const seed = new Float32Array(kColors * channels * plane);
        matches.slice(0, kColors).forEach((match, k) => {
          const [x, y] = i === 0 ? match.coord0 : match.coord1;
          const p = y * w + x;
          for (let c = 0; c < channels; c++) seed[(k * channels + c) * plane + p] = fm[c * plane + p];
        });
        const feeds: Record<string, NamedArray> = { seed: { data: seed, dims: [kColors, channels, h, w] } };
        for (const stat of layer.toPixels.stats) feeds[stat] = perImage[i](stat);
        const out = await layer.toPixels.session.run(feeds);
        return channelSumAbs(out.relevance.data as Float32Array, kColors, 3, width * height);
      }),
    );
    const pixelMs = performance.now() - started;
    const { forwardState: _state, ...rest } = matched;
    return {
      ...rest,
      kColors,
      pixelMaps: [pixelMaps[0], pixelMaps[1]],
      timings: { ...matched.timings, pixelMs, totalMs: matched.timings.totalMs + pixelMs },
      warnings,
    };
  }

  /** PAIR-X (docs/PAIRX.md steps 1–6) for two preprocessed images, each [3,H,W] or [1,3,H,W]. */
  async explain(
    image0: Float32Array,
    image1: Float32Array,
    options: ExplainOptions = {},
  ): Promise<Explanation> {
    return this.addPixelMaps(await this.matchPair(image0, image1, options), options.kColors ?? 10);
  }

  async release(): Promise<void> {
    const sessions: Session[] = [];
    if (this.embedSession) sessions.push(await this.embedSession);
    for (const layer of this.layers.values()) {
      const l = await layer.catch(() => undefined);
      if (l) sessions.push(l.forward, l.toLayer.session, l.toPixels.session);
    }
    await Promise.all(sessions.map((s) => s.release()));
  }
}
