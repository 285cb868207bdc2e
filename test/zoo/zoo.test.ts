import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocess } from '../../src/main/imaging/preprocess.ts';
import { wrapperDepth } from '../../src/main/models/default-layer.ts';
import { ReidModel } from '../../src/main/models/reid-model.ts';
import { PairExplainer } from '../../src/main/pairx/pair-explainer.ts';
import type { Explanation } from '../../src/main/pairx/explanation.ts';
import { EPSILON_CONVOLUTIONS, blocksOf, modelPath, unbiasedConservation, zooEntries, type ZooEntry } from './zoo.ts';

/**
 * The zoo (test/fixtures/zoo, tools/make_zoo.py): each family re-ID users bring — torchvision ResNet,
 * EfficientNet, ConvNeXt, Swin, ViT; timm ViT, DINOv2 with registers, Swin at 224 and at 384 with window
 * 12, ConvNeXt, EfficientNetV2 — scaled down with random weights, exported bare (PyTorch's defaults:
 * opset 14, a fixed batch), with an L2-normalised output, inside a re-ID module with and without one,
 * and through tools/export_onnx.py. For each: the default layer is a block inside the network; without
 * biases, relevance is conserved within 1e-3 at every block (to the block, and from it to the pixels);
 * with its biases, the explanation of two nyala photos passes the conservation guard, each pixel seed
 * giving the map it gets alone.
 */
const entries = zooEntries();

function relativeError(actual: Float32Array, reference: Float32Array): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < reference.length; i++) {
    diff += (actual[i] - reference[i]) ** 2;
    norm += reference[i] ** 2;
  }
  return norm > 0 ? Math.sqrt(diff / norm) : Math.sqrt(diff);
}
const PHOTOS = ['test/fixtures/photos/nyala-100-left-a.jpg', 'test/fixtures/photos/nyala-100-left-b.jpg'];

/** The default layer each family gets, below the wrapper (`backbone.` of the wrapped variants). */
const DEFAULT_LAYER: Record<string, string> = {
  'tv-resnet': 'layer3',
  'tv-efficientnet': 'features.5',
  'tv-convnext': 'features.5',
  'tv-swin': 'features.5',
  'tv-vit': 'encoder.layers.encoder_layer_5',
  'timm-vit': 'blocks.2',
  'timm-dinov2-reg': 'blocks.2',
  'timm-swin': 'layers.2',
  'timm-swin-384': 'layers.2',
  'timm-convnext': 'stages.2',
  'timm-efficientnetv2': 'blocks.4',
};

describe('the test zoo', () => {
  it('holds every family in every export', () => {
    const families = new Set(entries.map((e) => e.family));
    expect([...families].sort()).toEqual(Object.keys(DEFAULT_LAYER).sort());
    for (const family of families) {
      expect(entries.filter((e) => e.family === family).map((e) => e.variant)).toEqual(['bare', 'bare-l2', 'wrapped', 'wrapped-l2', 'tools']);
    }
  });
});

describe.each(entries.map((entry) => ({ ...entry, name: `${entry.family} ${entry.variant}` })))('$name', (entry: ZooEntry) => {
  let model: ReidModel;
  let explainer: PairExplainer;
  beforeAll(async () => {
    model = await ReidModel.load(modelPath(entry), { provider: 'cpu' });
    explainer = new PairExplainer(model);
  });
  afterAll(async () => {
    await explainer?.release(); // and the model's own session
  });

  it('explains at a block inside the network by default', () => {
    const prefix = entry.wrapped ? 'backbone.' : '';
    const expected = `${prefix}${DEFAULT_LAYER[entry.family]}`;
    expect(model.card.defaultLayer).toBeUndefined(); // the rule decides, whoever exported the model
    expect(model.defaultLayer).toBe(expected);
    const layer = model.listLayers().find((l) => l.key === model.defaultLayer)!;
    expect(layer.grid!.height).toBeGreaterThan(1);
    expect(model.resolveLayer().tensor).not.toBe(model.card.embedding.name);
    // torchvision's ViT keeps its blocks inside `encoder`, which is one more wrapper around the list.
    expect(wrapperDepth(model.model.graph)).toBe((entry.wrapped ? 1 : 0) + (entry.family === 'tv-vit' ? 1 : 0));
  });

  // Under EpsilonPlus with ε on convolutions (zoo.ts): z⁺ drops, by its definition, what reaches an
  // output without positive evidence; everything else — structure, batch layouts, attention, layer norms,
  // pooling, residual sums, gates, canonizers — must conserve.
  it('conserves relevance within 1e-3 at every block without biases', async () => {
    const blocks = blocksOf(model);
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    const errors = await unbiasedConservation(model, blocks, { composite: EPSILON_CONVOLUTIONS });
    for (const [key, { layer, pixels }] of errors) {
      expect(layer, `${key}: relevance at the block against the seed`).toBeLessThan(1e-3);
      for (const pixel of pixels) expect(pixel, `${key}: a pixel map against its position seed`).toBeLessThan(1e-3);
    }
  });

  it('passes the conservation guard with its biases, on two photos, each seed on its own', async () => {
    const [a, b] = await Promise.all(PHOTOS.map((p) => preprocess(p, model.inputSpec)));
    const matched = await explainer.matchPair(a, b);
    const explanation = await explainer.addPixelMaps(matched, 4);
    const { conservation } = explanation;
    expect(conservation.pixels[0]).toHaveLength(explanation.kColors);
    expect(conservation.faithful, `worst errors ${conservation.worstLayer} / ${conservation.worstPixels}`).toBe(true);
    expect(explanation.relevanceMaps[0].some((v) => v > 0)).toBe(true);
    if (process.env.PAIRX_GUARD_LOG) console.log(`guard ${entry.family} ${entry.variant} ${explanation.layer.key} ${conservation.worstLayer} ${conservation.worstPixels}`);
    // Seeds are independent (PAIRX.md step 6): in one batch, each meets its own image's statistics
    // wherever the export folds the batch, so its map is the one it gets alone. (A seed that met another
    // position's statistics is off by 1e1-1e5; the batch's own rounding, which LRP amplifies where a
    // denominator is near zero, moves a map by up to 0.12 in the zoo's ConvNeXt.)
    const layer = matched.forwardState.layer;
    const perRun = layer.seedsPerRun;
    try {
      layer.seedsPerRun = 1;
      const alone = await explainer.addPixelMaps(matched, 4);
      const plane = explanation.input.width * explanation.input.height;
      for (const i of [0, 1]) {
        for (let k = 0; k < explanation.kColors; k++) {
          const map = (e: Explanation) => e.pixelMaps[i].subarray(k * plane, (k + 1) * plane);
          expect(relativeError(map(explanation), map(alone)), `image ${i}, match ${k}`).toBeLessThan(0.25);
        }
      }
    } finally {
      layer.seedsPerRun = perRun;
    }
  });
});
