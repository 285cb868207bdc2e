import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { IrModel } from '../../src/main/onnx/ir.ts';
import { writeModel } from '../../src/main/onnx/model-proto.ts';
import { createSession, type NamedArray } from '../../src/main/onnx/session.ts';
import { probeGraph } from '../../src/main/onnx/shapes.ts';
import { wrapperDepth } from '../../src/main/models/default-layer.ts';
import { layoutGrid, writePositionSeed } from '../../src/main/models/layer-layout.ts';
import type { ReidModel } from '../../src/main/models/reid-model.ts';
import { canonize } from '../../src/main/relevance/canonize.ts';
import { epsilonPlus, type Composite } from '../../src/main/relevance/composite.ts';
import { convMap } from '../../src/main/relevance/operators/conv.ts';
import { epsilonRule } from '../../src/main/relevance/rules/epsilon.ts';
import { compileRelevance } from '../../src/main/relevance/compiler.ts';
import { withoutAdditiveTerms } from '../relevance/additive.ts';
import { rng } from '../relevance/harness.ts';

/** The test zoo (test/fixtures/zoo, rebuilt by tools/make_zoo.py): one entry per exported model. */
export interface ZooEntry {
  family: string;
  variant: 'bare' | 'bare-l2' | 'wrapped' | 'wrapped-l2' | 'tools';
  dir: string;
  size: number;
  exporter: string;
  opset: number;
  dynamicBatch: boolean;
  wrapped: boolean;
  l2: boolean;
  description: string;
}

export const ZOO = resolve('test/fixtures/zoo');

export function zooEntries(): ZooEntry[] {
  const manifest = join(ZOO, 'zoo.json');
  return existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')).models as ZooEntry[]) : [];
}

/** What the model loads from: its folder where the exporter wrote a card, else the bare .onnx (ImageNet mean/std). */
export function modelPath(entry: ZooEntry): string {
  const dir = join(ZOO, entry.dir);
  return existsSync(join(dir, 'card.json')) ? dir : join(dir, 'model.onnx');
}

/** Modules named like the children of a list (`blocks.7`, `encoder_layer_7`, `features.3`). */
const LIST_CHILD = /[._]\d+$/;

/**
 * The network's blocks: children of a list of modules (stages, blocks, encoder layers) at most two levels
 * below the wrapper, whose output is a feature map.
 */
export function blocksOf(model: ReidModel): string[] {
  const base = wrapperDepth(model.model.graph);
  const layers = model.listLayers().filter((l) => l.grid && l.grid.height > 1 && l.depth - base <= 2 && LIST_CHILD.test(l.key));
  const seen = new Set<string>();
  return layers.filter((l) => !seen.has(l.tensor) && seen.add(l.tensor)).map((l) => l.key);
}

const sum = (values: ArrayLike<number>, from = 0, to = values.length) => {
  let total = 0;
  for (let i = from; i < to; i++) total += values[i];
  return total;
};
const magnitude = (values: ArrayLike<number>, from = 0, to = values.length) => {
  let total = 0;
  for (let i = from; i < to; i++) total += Math.abs(values[i]);
  return total;
};

async function run(model: IrModel, feeds: Record<string, NamedArray>) {
  const session = await createSession(writeModel(model), 'cpu');
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/**
 * EpsilonPlus with the ε rule in place of z⁺ on convolutions. z⁺ sends nothing back from an output
 * without positive evidence (every input that contributes does so through a weight of the other sign:
 * common at the corners of depthwise convolutions, whose fan-in is four there, and in 1×1 convolutions
 * over a few channels after a ReLU), by its definition and as zennit's ZPlus does; the ε rule of the
 * same map loses nothing without biases. Every other rule, operator and canonizer is EpsilonPlus's own.
 */
export const EPSILON_CONVOLUTIONS: Composite = {
  ...epsilonPlus,
  name: 'EpsilonPlus with ε convolutions',
  rules: { ...epsilonPlus.rules, conv: { rule: epsilonRule, map: convMap } },
};

/**
 * Relative conservation errors |ΣR − Σseed| / Σ|seed| of the model without its additive terms, at each
 * block: the pass from a random embedding seed to the block, and the passes from two position seeds
 * (the first and the last grid position, all channels) to the pixels. One forward model serves all blocks.
 */
export async function unbiasedConservation(
  model: ReidModel,
  blocks: string[],
  options: { composite?: Composite } = {},
): Promise<Map<string, { layer: number; pixels: number[] }>> {
  const unbiased = withoutAdditiveTerms(model.model);
  const { name: inputName, width, height } = model.card.input;
  const embedding = model.card.embedding.name;
  const { shapes, shapeValues, batchLayouts, batchable } = await probeGraph(unbiased, inputName, [1, 3, height, width], {
    batchable: !model.batching.fixedBatch,
  });
  const canonical = canonize(unbiased, { shapeValues, shapes, composite: options.composite });
  const lrp = canonical.relevanceName;
  const tensors = blocks.map((key) => model.resolveLayer(key).tensor);
  // A negligible stabiliser: ε/(z + ε) of the relevance is absorbed wherever a pre-activation is small,
  // and without biases a narrow network's activations shrink from block to block (1e-10 deep in the zoo's
  // EfficientNet); what is left to check is the rules' own conservation.
  const compiled = compileRelevance(canonical, shapes, {
    epsilon: 1e-30,
    batchLayouts,
    inputName,
    outputs: [embedding, ...tensors.map(lrp)],
    passes: tensors.flatMap((tensor) => [
      { from: lrp(embedding), to: lrp(tensor) },
      { from: lrp(tensor), to: inputName },
    ]),
  });
  const random = rng(11);
  const image = Float32Array.from({ length: 3 * width * height }, () => 2 * random() - 1);
  const forward = await run(compiled.forward, { [inputName]: { data: image, dims: [1, 3, height, width] } });
  const statsOf = (pass: number) => Object.fromEntries(compiled.passes[pass].stats.map((s) => [s, forward[s]]));
  // Relevance enters as LRP has it at any output: the output's value times a factor (here random, signed).
  const embeddingDims = shapes.get(embedding)!;
  const seed = Float32Array.from(forward[embedding].data as Float32Array, (value) => value * (random() - 0.5));
  const results = new Map<string, { layer: number; pixels: number[] }>();
  for (const [i, key] of blocks.entries()) {
    const tensor = tensors[i];
    const atLayer = (await run(compiled.passes[2 * i].model, { seed: { data: seed, dims: embeddingDims }, ...statsOf(2 * i) })).relevance.data as Float32Array;
    const layer = Math.abs(sum(atLayer) - sum(seed)) / magnitude(seed);

    const dims = shapes.get(tensor)!;
    const layout = model.layerLayout(key, tensor)!;
    const grid = layoutGrid(dims, layout);
    const perSeed = dims.slice(1).reduce((a, b) => a * b, 1);
    const activations = forward[lrp(tensor)].data as Float32Array;
    const positions = [0, grid.height * grid.width - 1];
    const perImage = 3 * width * height;
    const pixels: number[] = [];
    // One seed per run where the probe could not show how the export folds the batch (a fixed batch).
    const perRun = batchable ? positions.length : 1;
    for (let first = 0; first < positions.length; first += perRun) {
      const chosen = positions.slice(first, first + perRun);
      const seeds = new Float32Array(chosen.length * perSeed);
      chosen.forEach((p, k) => writePositionSeed(seeds, k, perSeed, activations, layout, grid, p));
      const out = (await run(compiled.passes[2 * i + 1].model, { seed: { data: seeds, dims: [chosen.length, ...dims.slice(1)] }, ...statsOf(2 * i + 1) }))
        .relevance.data as Float32Array;
      chosen.forEach((_, k) => {
        const put = sum(seeds, k * perSeed, (k + 1) * perSeed);
        pixels.push(Math.abs(sum(out, k * perImage, (k + 1) * perImage) - put) / magnitude(seeds, k * perSeed, (k + 1) * perSeed));
      });
    }
    results.set(key, { layer, pixels });
  }
  return results;
}
