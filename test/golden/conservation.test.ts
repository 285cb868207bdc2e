import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../../src/main/arrays/npy.ts';
import type { IrModel } from '../../src/main/onnx/ir.ts';
import { readModel, writeModel } from '../../src/main/onnx/model-proto.ts';
import { createSession, type NamedArray } from '../../src/main/onnx/session.ts';
import { resolveLayer } from '../../src/main/onnx/scopes.ts';
import { probeGraph } from '../../src/main/onnx/shapes.ts';
import { canonize } from '../../src/main/relevance/canonize.ts';
import { compileRelevance } from '../../src/main/relevance/compiler.ts';
import { withoutAdditiveTerms } from '../relevance/additive.ts';
import { rng } from '../relevance/harness.ts';

/**
 * Conservation (PAIRX-TRANSFORMERS.md): with every bias, the class token and the position embedding
 * set to zero, each CP-LRP rule is the ε rule of a linear map, so the relevance at a block sums to the
 * seed's sum, and a pixel map to the sum of the feature vector it came from. Without the forward-side
 * rules (σ, A and the activation ratios held constant) it does not.
 */
const BUNDLED = resolve('test/fixtures/golden');
const sum = (values: ArrayLike<number>, from = 0, to = values.length) => {
  let total = 0;
  for (let i = from; i < to; i++) total += values[i];
  return total;
};

describe.each([
  { name: 'vit-tiny-224', dir: join(BUNDLED, 'vit-tiny-224'), size: 224, layerKey: 'blocks.1', prefix: 1 },
  { name: 'swin-tiny-224', dir: join(BUNDLED, 'swin-tiny-224'), size: 224, layerKey: 'features.3', prefix: 0 },
  // torchvision's ViT keeps nn.MultiheadAttention's [tokens, batch, C] layout inside its blocks.
  { name: 'torchvision ViT', dir: resolve('test/fixtures/models/torchvision-vit-unbiased'), size: 64, layerKey: 'encoder.layers.encoder_layer_0', prefix: 1 },
  // The same exported at opset 14: layer norms decomposed into ReduceMean, Sub, Pow, Sqrt, Div, Mul, Add.
  { name: 'torchvision ViT at opset 14', dir: resolve('test/fixtures/models/torchvision-vit-unbiased'), file: 'model-opset14.onnx', size: 64, layerKey: 'encoder.layers.encoder_layer_0', prefix: 1 },
  // ConvNeXt: depthwise convolutions, channels-last layer norms inside NCHW blocks, layer scale.
  { name: 'torchvision ConvNeXt', dir: resolve('test/fixtures/models/torchvision-convnext-unbiased'), size: 64, layerKey: 'features.3', prefix: 0, channelsFirst: true },
])('conservation on $name without biases', ({ dir, file = 'model.onnx', size, layerKey, prefix, channelsFirst = false }) => {
  it('relevance at the block sums to the seed, a pixel map to its position seed', async () => {
    const model = withoutAdditiveTerms(readModel(readFileSync(join(dir, file))));
    const layer = resolveLayer(model.graph, layerKey).tensor;
    const { shapes, shapeValues, batchLayouts } = await probeGraph(model, 'image', [1, 3, size, size]);
    const canonical = canonize(model, { shapeValues, shapes });
    // The stabiliser absorbs ε/(z + ε) of the relevance wherever a pre-activation is small (Swin's head
    // outputs without biases are): a negligible ε leaves only the rules' own conservation to check.
    const compiled = compileRelevance(canonical, shapes, {
      epsilon: 1e-12,
      batchLayouts,
      inputName: 'image',
      outputs: ['embedding', layer],
      passes: [
        { from: 'embedding', to: layer },
        { from: layer, to: 'image' },
      ],
    });
    const run = async (m: IrModel, feeds: Record<string, NamedArray>) => {
      const session = await createSession(writeModel(m), 'cpu');
      try {
        return await session.run(feeds);
      } finally {
        await session.release();
      }
    };
    const random = rng(7);
    const image = existsSync(join(dir, 'image0.npy'))
      ? (await readNpy(join(dir, 'image0.npy'))).data
      : Float32Array.from({ length: 3 * size * size }, () => 2 * random() - 1);
    const forward = await run(compiled.forward, { image: { data: image, dims: [1, 3, size, size] } });
    const statsOf = (pass: number) => Object.fromEntries(compiled.passes[pass].stats.map((s) => [s, forward[s]]));

    const dim = shapes.get('embedding')![1];
    const seed = Float32Array.from({ length: dim }, () => random() - 0.5);
    const atLayer = await run(compiled.passes[0].model, { seed: { data: seed, dims: [1, dim] }, ...statsOf(0) });
    const layerRelevance = atLayer.relevance.data as Float32Array;
    expect(sum(layerRelevance)).toBeCloseTo(sum(seed), 4);

    // Two position seeds: patch tokens 0 and the last one (all channels), everything else zero.
    const layerDims = shapes.get(layer)!;
    const perSeed = layerDims.slice(1).reduce((a, b) => a * b, 1);
    const channels = channelsFirst ? layerDims[1] : layerDims.at(-1)!;
    const activations = forward[layer].data as Float32Array;
    const seeds = new Float32Array(2 * perSeed);
    const positions = perSeed / channels - prefix;
    const offsetOf = (c: number, position: number) => (channelsFirst ? c * positions + position : (prefix + position) * channels + c);
    [0, positions - 1].forEach((position, k) => {
      for (let c = 0; c < channels; c++) seeds[k * perSeed + offsetOf(c, position)] = activations[offsetOf(c, position)];
    });
    const pixels = await run(compiled.passes[1].model, { seed: { data: seeds, dims: [2, ...layerDims.slice(1)] }, ...statsOf(1) });
    const pixelRelevance = pixels.relevance.data as Float32Array;
    const perImage = 3 * size * size;
    for (const k of [0, 1]) {
      const expected = sum(seeds, k * perSeed, (k + 1) * perSeed);
      expect(Math.abs(sum(pixelRelevance, k * perImage, (k + 1) * perImage) - expected)).toBeLessThan(1e-4 * Math.abs(expected) + 1e-5);
    }
  });
});
