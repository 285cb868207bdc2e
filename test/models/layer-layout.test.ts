import { describe, expect, it } from 'vitest';
import type { IrGraph } from '../../src/main/onnx/ir.ts';
import {
  channelSumAbs,
  checkLayout,
  inferLayout,
  layoutGrid,
  toChannelsFirst,
  writePositionSeed,
  type LayerLayout,
} from '../../src/main/models/layer-layout.ts';

/** A graph whose first convolution (the patch embedding) outputs `patch` [1, C, h, w]. */
function graphWithPatches(patch: number[]) {
  const graph: IrGraph = {
    name: 'g',
    nodes: [{ name: '/patch_embed/proj/Conv', opType: 'Conv', domain: '', inputs: ['image', 'w'], outputs: ['patches'], attributes: {} }],
    initializers: new Map(),
    inputs: [{ name: 'image', elemType: 1, shape: [1, 3, 224, 224] }],
    outputs: [],
  };
  return { graph, shapes: new Map([['patches', patch]]) };
}
const square = { width: 224, height: 224 };

describe('layer layouts', () => {
  it('reads token blocks on the patch grid, whatever the prefix (class token, registers)', () => {
    const { graph, shapes } = graphWithPatches([1, 384, 16, 16]);
    expect(inferLayout([1, 261, 384], graph, shapes, square)).toEqual({ layout: 'tokens', prefix: 5, grid: [16, 16] });
    expect(inferLayout([1, 256, 384], graph, shapes, square)).toEqual({ layout: 'tokens', prefix: 0, grid: [16, 16] });
    expect(inferLayout([1, 200, 384], graph, shapes, square)).toBeUndefined(); // fewer tokens than patches
  });

  it('tells channels-last stages from NCHW maps, also for non-square inputs', () => {
    const { graph, shapes } = graphWithPatches([1, 96, 56, 56]);
    expect(inferLayout([1, 14, 14, 384], graph, shapes, square)).toEqual({ layout: 'NHWC' });
    expect(inferLayout([1, 384, 14, 14], graph, shapes, square)).toEqual({ layout: 'NCHW' });
    expect(inferLayout([1, 16, 16, 16], graph, shapes, square)).toEqual({ layout: 'NCHW' });
    const wide = { width: 288, height: 224 };
    expect(inferLayout([1, 14, 18, 768], graph, shapes, wide)).toEqual({ layout: 'NHWC' });
    expect(inferLayout([1, 768, 14, 18], graph, shapes, wide)).toEqual({ layout: 'NCHW' });
  });

  it('refuses a stated layout that does not fit the layer, naming it', () => {
    expect(() => checkLayout('blocks.7', [1, 197, 384], { layout: 'tokens', prefix: 5, grid: [14, 14] })).toThrow(/layer blocks\.7/);
    expect(() => checkLayout('blocks.7', [1, 197, 384], { layout: 'tokens', prefix: 1, grid: [14, 14] })).not.toThrow();
  });

  it('lays feature maps out as [C, h, w], sums relevance per position, seeds one position', () => {
    // Two prefix tokens, a 2×2 grid, 3 channels: token t, channel c holds 10·t + c.
    const layout: LayerLayout = { layout: 'tokens', prefix: 2, grid: [2, 2] };
    const dims = [1, 6, 3];
    const grid = layoutGrid(dims, layout);
    expect(grid).toEqual({ channels: 3, height: 2, width: 2 });
    const tokens = Float32Array.from({ length: 18 }, (_, i) => 10 * Math.floor(i / 3) + (i % 3));
    expect(Array.from(toChannelsFirst(tokens, layout, grid))).toEqual([20, 30, 40, 50, 21, 31, 41, 51, 22, 32, 42, 52]);
    expect(Array.from(channelSumAbs(tokens, 1, layout, grid, 18))).toEqual([63, 93, 123, 153]);
    const seed = new Float32Array(2 * 18);
    writePositionSeed(seed, 1, 18, tokens, layout, grid, 3);
    expect(Array.from(seed.subarray(18 + 15, 18 + 18))).toEqual([50, 51, 52]);
    expect(seed.reduce((a, b) => a + b, 0)).toBe(153);
    const nhwc: LayerLayout = { layout: 'NHWC' };
    const channelsLast = Float32Array.from({ length: 12 }, (_, i) => i); // [1, 2, 2, 3]
    expect(Array.from(toChannelsFirst(channelsLast, nhwc, layoutGrid([1, 2, 2, 3], nhwc)))).toEqual([0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11]);
  });
});
