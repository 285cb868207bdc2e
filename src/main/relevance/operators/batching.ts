import type { BatchLayout } from '../../onnx/shapes.ts';
import type { RelevanceEmitter } from '../rules/rule.ts';

export type { BatchLayout };

/**
 * Relevance of a forward tensor is laid out as that tensor at batch k, the seeds taking the batch's
 * place. Operators that combine it with a batch-1 statistic view both with the batch as an axis of its
 * own — relevance [..., outer, k, inner, ...] against the stat [..., outer, 1, inner, ...] — so that
 * every seed meets its own image's values, wherever the export folded the batch.
 */
function grouped(dims: number[], layout: BatchLayout, batch: number): number[] {
  const { axis, inner } = layout;
  const outer = dims[axis] / inner;
  return [...dims.slice(0, axis), outer, batch, inner, ...dims.slice(axis + 1)];
}

/** The relevance of `like` and a batch-1 tensor of the same layout (or broadcastable to it) combined by `combine`. */
export function overSeeds(
  r: RelevanceEmitter,
  relevance: string,
  like: string,
  stat: string,
  statDims: number[],
  combine: (relevance: string, stat: string) => string,
): string {
  const b = r.builder;
  const dims = r.shapes.get(like)!;
  const layout = r.batchLayout(like);
  // A stat that does not vary along the batch axis (size 1 there, or not reaching it) broadcasts as it is.
  const statAxis = layout.axis - (dims.length - statDims.length);
  if (dims[layout.axis] === 1 || statAxis < 0 || statDims[statAxis] === 1) return combine(relevance, stat);
  if (statDims[statAxis] !== dims[layout.axis]) {
    throw new Error(`a statistic of shape [${statDims}] does not fit ${like} [${dims}] over the seeds`);
  }
  const relevanceView = b.op('Reshape', [relevance, b.int64('shape', grouped(dims, layout, -1))]);
  const statView = b.op('Reshape', [stat, b.int64('shape', grouped(statDims, { axis: statAxis, inner: layout.inner }, 1))]);
  return b.op('Reshape', [combine(relevanceView, statView), b.int64('shape', withSeedAxis(dims, layout.axis))]);
}

/** `op(relevance, stat)` for relevance batched over seeds (see `overSeeds`). */
export function withStat(
  r: RelevanceEmitter,
  opType: string,
  relevance: string,
  like: string,
  stat: string,
  order: 'relevanceFirst' | 'statFirst' = 'relevanceFirst',
): string {
  const b = r.builder;
  const statDims = r.shapes.get(stat) ?? r.shapes.get(like)!;
  return overSeeds(r, relevance, like, r.stat(stat), statDims, (rel, s) => b.op(opType, order === 'statFirst' ? [s, rel] : [rel, s]));
}

/** A tensor's batch-1 dims as a reshape target for its relevance: the batch axis left to the seeds. */
export function withSeedAxis(dims: number[], axis: number): number[] {
  return dims.map((d, i) => (i === axis ? -1 : d));
}
