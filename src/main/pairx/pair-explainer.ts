import type { InputSpec } from '../imaging/preprocess.ts';
import { channelSumAbs, toChannelsFirst, writePositionSeed } from '../models/layer-layout.ts';
import type { ReidModel } from '../models/reid-model.ts';
import type { NamedArray } from '../onnx/session.ts';
import { CompiledLayers, sliceBatch, type CompiledLayer } from './compiled-layers.ts';
import { passConservation, summarise, type Conservation, type PassConservation } from './conservation.ts';
import type { Explanation } from './explanation.ts';
import { mutualNearestNeighbours } from './matching.ts';
import { measurePlausibility } from './plausibility.ts';
import { EXPLAIN_LIMITS } from '../../shared/explanation.ts';

export interface ExplainOptions {
  /** Module key or tensor name; the card's default layer when absent. */
  layer?: string;
  kLines?: number;
  kColors?: number;
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

const product = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/**
 * PAIR-X (docs/PAIRX.md steps 1–6) over one loaded model, with that model's compiled layers. One
 * explainer per model (`explainerFor`), so that every caller shares the compile cache.
 */
export class PairExplainer {
  private readonly compiled: CompiledLayers;

  constructor(readonly model: ReidModel) {
    this.compiled = new CompiledLayers(model);
  }

  get id(): string {
    return this.model.id;
  }

  get inputSpec(): InputSpec {
    return this.model.inputSpec;
  }

  resolveLayer(layer?: string): { key: string; tensor: string } {
    return this.model.resolveLayer(layer);
  }

  /** Compiles (once per layer) the forward+statistics model and both relevance passes. */
  compileLayer(layer?: string): Promise<CompiledLayer> {
    return this.compiled.get(layer);
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
    const { width, height } = this.model.card.input;
    const embeddingName = this.model.card.embedding.name;

    // 1. Forward, both images in one batch, with every statistic the relevance passes need.
    const t0 = performance.now();
    const perImage = await this.forwardStats(layer, image0, image1);
    const { layout, grid } = layer;
    const { channels, height: h, width: w } = grid;
    // Feature maps as [C, h, w] over the grid, whatever the layer's layout (prefix tokens dropped).
    const [fm0, fm1] = perImage.map((stats) => toChannelsFirst(stats(layer.tensor).data as Float32Array, layout, grid));
    const e0 = perImage[0](embeddingName).data as Float32Array;
    const e1 = perImage[1](embeddingName).data as Float32Array;
    const t1 = performance.now();

    // 2–3. Score, seeds, relevance down to the layer.
    const { similarity, seeds } = cosineSeeds(e0, e1);
    const relevanceAtLayer = await Promise.all(
      [0, 1].map(async (i) => {
        const feeds: Record<string, NamedArray> = { seed: { data: seeds[i], dims: this.model.embeddingDims } };
        for (const stat of layer.toLayer.stats) feeds[stat] = perImage[i](stat);
        const out = await layer.toLayer.session.run(feeds);
        const relevance = out.relevance.data as Float32Array;
        return { map: channelSumAbs(relevance, 1, layout, grid, product(layer.dims)), conservation: passConservation(seeds[i], relevance) };
      }),
    );
    const t2 = performance.now();

    // 4–5. Mutual nearest neighbours, ranked by relevance.
    const onGrid = (data: Float32Array) => ({ data, channels, height: h, width: w });
    const matches = mutualNearestNeighbours(
      onGrid(fm0),
      onGrid(fm1),
      relevanceAtLayer[0].map,
      relevanceAtLayer[1].map,
      width,
      height,
    );
    const t3 = performance.now();
    const kLines = Math.min(options.kLines ?? EXPLAIN_LIMITS.kLines.default, matches.length);
    return {
      similarity,
      layer: { key: layer.key, tensor: layer.tensor, channels, height: h, width: w },
      input: { width, height },
      provider: layer.forward.provider,
      embeddings: [e0, e1],
      seeds,
      featureMaps: [fm0, fm1],
      relevanceMaps: [relevanceAtLayer[0].map, relevanceAtLayer[1].map],
      matches,
      kLines,
      plausibility: measurePlausibility(matches.slice(0, kLines), width, height),
      conservation: this.guard([relevanceAtLayer[0].conservation, relevanceAtLayer[1].conservation], [[], []], layer.key),
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

  /** The forward pass of both images in one batch, with every statistic the relevance passes need, per image. */
  private async forwardStats(
    layer: CompiledLayer,
    image0: Float32Array,
    image1: Float32Array,
  ): Promise<PerImage> {
    const { width, height, name } = this.model.card.input;
    if (layer.perImageForward) {
      const run = (image: Float32Array) => layer.forward.run({ [name]: { data: image, dims: [1, 3, height, width] } });
      const [out0, out1] = [await run(image0), await run(image1)];
      return [(tensor) => out0[tensor], (tensor) => out1[tensor]];
    }
    const batch = new Float32Array(image0.length * 2);
    batch.set(image0, 0);
    batch.set(image1, image0.length);
    const forward = await layer.forward.run({
      [name]: { data: batch, dims: [2, 3, height, width] },
    });
    return [(name) => sliceBatch(forward[name], 0, 2), (name) => sliceBatch(forward[name], 1, 2)];
  }

  /** PAIR-X step 6: pixel relevance of the top `kColors` matches, one batched pass per image. */
  async addPixelMaps(matched: MatchedPair, requestedColors: number = EXPLAIN_LIMITS.kColors.default): Promise<Explanation> {
    const started = performance.now();
    const { layer, images } = matched.forwardState;
    const perImage = matched.forwardState.perImage ?? (await this.forwardStats(layer, images[0], images[1]));
    const { width: w } = matched.layer;
    const { width, height } = matched.input;
    const matches = matched.matches;
    const warnings = [...matched.warnings];
    const kColors = Math.min(requestedColors, matches.length);
    if (requestedColors > matches.length) {
      warnings.push(
        `--k-colors ${requestedColors} is more than the ${matches.length} matches; using all ${matches.length}`,
      );
    }
    const perSeed = product(layer.dims.slice(1));
    const pixelMaps = await Promise.all(
      [0, 1].map(async (i) => {
        if (kColors === 0) return { maps: new Float32Array(0), conservation: [] };
        // As in the reference, the seed holds the layer's activations as the canonised model computes them.
        // A token layer's seed is that patch token's feature vector, every other token (prefix included) zero.
        const fm = perImage[i](layer.relevanceTensor).data as Float32Array;
        const seed = new Float32Array(kColors * perSeed);
        matches.slice(0, kColors).forEach((match, k) => {
          const [x, y] = i === 0 ? match.coord0 : match.coord1;
          writePositionSeed(seed, k, perSeed, fm, layer.layout, layer.grid, y * w + x);
        });
        const perMap = 3 * width * height;
        const relevance = new Float32Array(kColors * perMap);
        for (let first = 0; first < kColors; first += layer.seedsPerRun) {
          const count = Math.min(layer.seedsPerRun, kColors - first);
          const feeds: Record<string, NamedArray> = {
            seed: { data: seed.subarray(first * perSeed, (first + count) * perSeed), dims: [count, ...layer.dims.slice(1)] },
          };
          for (const stat of layer.toPixels.stats) feeds[stat] = perImage[i](stat);
          const out = await layer.toPixels.session.run(feeds);
          relevance.set(out.relevance.data as Float32Array, first * perMap);
        }
        return {
          maps: channelSumAbs(relevance, kColors, { layout: 'NCHW' }, { channels: 3, height, width }, perMap),
          conservation: Array.from({ length: kColors }, (_, k) => passConservation(seed, relevance, k, perSeed, perMap)),
        };
      }),
    );
    const pixelMs = performance.now() - started;
    const { forwardState: _state, ...rest } = matched;
    return {
      ...rest,
      kColors,
      pixelMaps: [pixelMaps[0].maps, pixelMaps[1].maps],
      conservation: this.guard(matched.conservation.layer, [pixelMaps[0].conservation, pixelMaps[1].conservation], matched.layer.key),
      timings: { ...matched.timings, pixelMs, totalMs: matched.timings.totalMs + pixelMs },
      warnings,
    };
  }

  /** The guard's verdict on the passes so far, with a layer to try where it is not faithful. */
  private guard(layer: [PassConservation, PassConservation], pixels: [PassConservation[], PassConservation[]], key: string): Conservation {
    const conservation = summarise(layer, pixels);
    if (conservation.faithful) return conservation;
    const suggestedLayer = this.model.alternativeLayer(key);
    return suggestedLayer ? { ...conservation, suggestedLayer } : conservation;
  }

  /** PAIR-X (docs/PAIRX.md steps 1–6) for two preprocessed images, each [3,H,W] or [1,3,H,W]. */
  async explain(
    image0: Float32Array,
    image1: Float32Array,
    options: ExplainOptions = {},
  ): Promise<Explanation> {
    return this.addPixelMaps(await this.matchPair(image0, image1, options), options.kColors ?? EXPLAIN_LIMITS.kColors.default);
  }

  /** Lets go of the compiled layers and of the model's own session. */
  async release(): Promise<void> {
    explainers.delete(this.model);
    await Promise.all([this.compiled.release(), this.model.release()]);
  }
}

const explainers = new WeakMap<ReidModel, PairExplainer>();

/** The explainer of a loaded model, created on first use and shared from then on. */
export function explainerFor(model: ReidModel): PairExplainer {
  let explainer = explainers.get(model);
  if (!explainer) {
    explainer = new PairExplainer(model);
    explainers.set(model, explainer);
  }
  return explainer;
}
