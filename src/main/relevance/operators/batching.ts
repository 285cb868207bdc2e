import type { RelevanceEmitter } from '../rules/rule.ts';

/**
 * `op(relevance, stat)` for relevance batched over seeds. Relevance stands for a forward tensor `like`
 * with its leading axis multiplied by the number of seeds k. Where that axis is the batch (size 1 at
 * batch 1) the stat broadcasts as it is; where the export folded more into it (Swin's windows: batch ×
 * windows), relevance is viewed as [k, ...like] against the stat as [1, ...stat] and viewed back.
 */
export function withStat(
  r: RelevanceEmitter,
  opType: string,
  relevance: string,
  like: string,
  stat: string,
  order: 'relevanceFirst' | 'statFirst' = 'relevanceFirst',
): string {
  const b = r.builder;
  const dims = r.shapes.get(like)!;
  const axis = r.batchAxis(like);
  const combine = (rel: string, s: string) => b.op(opType, order === 'statFirst' ? [s, rel] : [rel, s]);
  if (dims[axis] === 1) return combine(relevance, r.stat(stat));
  const grouped = b.op('Reshape', [relevance, b.int64('shape', [...dims.slice(0, axis), -1, ...dims.slice(axis)])]);
  const statGrouped = b.op('Unsqueeze', [r.stat(stat), b.int64('axes', [axis])]);
  return b.op('Reshape', [combine(grouped, statGrouped), b.int64('shape', withSeedAxis(dims, axis))]);
}

/** A tensor's batch-1 dims as a reshape target for its relevance: the batch axis left to the seeds. */
export function withSeedAxis(dims: number[], axis: number): number[] {
  return dims.map((d, i) => (i === axis ? -1 : d));
}
