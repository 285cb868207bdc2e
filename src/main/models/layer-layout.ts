import { z } from 'zod';
import { PairxError } from '../errors.ts';
import type { IrGraph } from '../onnx/ir.ts';

/**
 * How a layer's output holds its feature map (PAIRX-TRANSFORMERS.md): `NCHW` as CNNs have it, `NHWC`
 * for Swin stages and channels-last ConvNeXt blocks, `tokens` [B, prefix + h·w, C] for ViT blocks
 * (class and register tokens first, then the patch tokens row-major).
 */
export const LayerLayoutSchema = z.discriminatedUnion('layout', [
  z.object({ layout: z.literal('NCHW') }),
  z.object({ layout: z.literal('NHWC') }),
  z.object({
    layout: z.literal('tokens'),
    prefix: z.number().int().nonnegative(),
    grid: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  }),
]);
export type LayerLayout = z.infer<typeof LayerLayoutSchema>;

/** A feature map's geometry: C channels on an h×w grid. */
export interface Grid {
  channels: number;
  height: number;
  width: number;
}

/** The patch grid of a transformer: the output of the first convolution on the input (the patch embedding). */
function patchGrid(graph: IrGraph, shapes: Map<string, number[]>): [number, number] | undefined {
  for (const node of graph.nodes) {
    if (node.opType !== 'Conv') continue;
    const dims = shapes.get(node.outputs[0]);
    if (dims?.length === 4) return [dims[2], dims[3]];
  }
  return undefined;
}

/**
 * The layout of a layer with output shape `dims` at batch 1, as far as the graph tells: rank 3 is
 * tokens on the patch-embedding grid (whatever precedes the h·w patch tokens is prefix); rank 4 is
 * channels-last when its first two axes have the input's aspect ratio and its last two do not, or when
 * the model normalises with layer norms and its last two axes are not the grid (Swin, ConvNeXt blocks).
 */
export function inferLayout(
  dims: number[],
  graph: IrGraph,
  shapes: Map<string, number[]>,
  input: { width: number; height: number },
): LayerLayout | undefined {
  if (dims.length === 3) {
    const grid = patchGrid(graph, shapes);
    if (!grid || grid[0] * grid[1] > dims[1]) return undefined;
    return { layout: 'tokens', prefix: dims[1] - grid[0] * grid[1], grid };
  }
  if (dims.length !== 4) return undefined;
  const aspect = input.height / input.width;
  const close = (a: number, b: number) => Math.abs(a - b) <= 0.15 * b;
  const leadingGrid = close(dims[1] / dims[2], aspect);
  const trailingGrid = close(dims[2] / dims[3], aspect);
  if (leadingGrid && !trailingGrid) return { layout: 'NHWC' };
  if (leadingGrid && trailingGrid && dims[1] === dims[2] && dims[3] !== dims[2]) {
    // Square input: [1, h, h, C] is channels-last unless C happens to equal h as well.
    return { layout: 'NHWC' };
  }
  return { layout: 'NCHW' };
}

export function layoutGrid(dims: number[], layout: LayerLayout): Grid {
  switch (layout.layout) {
    case 'NCHW':
      return { channels: dims[1], height: dims[2], width: dims[3] };
    case 'NHWC':
      return { channels: dims[3], height: dims[1], width: dims[2] };
    case 'tokens':
      return { channels: dims[2], height: layout.grid[0], width: layout.grid[1] };
  }
}

/** Checks that a stated layout fits the layer's shape; the message names the layer. */
export function checkLayout(key: string, dims: number[], layout: LayerLayout): void {
  const fits =
    layout.layout === 'tokens'
      ? dims.length === 3 && dims[1] === layout.prefix + layout.grid[0] * layout.grid[1]
      : dims.length === 4;
  if (!fits) {
    throw new PairxError('unsupported-model', `layer ${key}: its output [${dims}] does not have the layout ${JSON.stringify(layout)}`);
  }
}

/** Offset of channel c at grid position p in one image of the layer's own layout. */
function offsetOf(layout: LayerLayout, grid: Grid): (c: number, p: number) => number {
  const plane = grid.height * grid.width;
  switch (layout.layout) {
    case 'NCHW':
      return (c, p) => c * plane + p;
    case 'NHWC':
      return (c, p) => p * grid.channels + c;
    case 'tokens':
      return (c, p) => (layout.prefix + p) * grid.channels + c;
  }
}

/** One image of the layer's output as [C, h, w] over the grid positions (prefix tokens dropped). */
export function toChannelsFirst(data: Float32Array, layout: LayerLayout, grid: Grid): Float32Array {
  if (layout.layout === 'NCHW') return data;
  const plane = grid.height * grid.width;
  const offset = offsetOf(layout, grid);
  const out = new Float32Array(grid.channels * plane);
  for (let c = 0; c < grid.channels; c++) for (let p = 0; p < plane; p++) out[c * plane + p] = data[offset(c, p)];
  return out;
}

/** |Σ_c R[c]| per grid position for each of `count` relevance tensors in the layer's layout. */
export function channelSumAbs(data: Float32Array, count: number, layout: LayerLayout, grid: Grid, perItem: number): Float32Array {
  const plane = grid.height * grid.width;
  const offset = offsetOf(layout, grid);
  const out = new Float32Array(count * plane);
  for (let k = 0; k < count; k++) {
    const base = k * perItem;
    for (let p = 0; p < plane; p++) {
      let total = 0;
      for (let c = 0; c < grid.channels; c++) total += data[base + offset(c, p)];
      out[k * plane + p] = Math.abs(total);
    }
  }
  return out;
}

/**
 * Writes a pixel seed: the activations of every channel at grid position p, all else zero, into item k
 * of `seed` (items of `perItem` values in the layer's layout).
 */
export function writePositionSeed(
  seed: Float32Array,
  k: number,
  perItem: number,
  activations: Float32Array,
  layout: LayerLayout,
  grid: Grid,
  p: number,
): void {
  const offset = offsetOf(layout, grid);
  for (let c = 0; c < grid.channels; c++) seed[k * perItem + offset(c, p)] = activations[offset(c, p)];
}
