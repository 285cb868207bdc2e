import type { Unit } from '../units.ts';
import type { LinearMap } from '../rules/rule.ts';
import { overSeeds } from './batching.ts';

/**
 * z = A·V with the attention weights A held at their forward values (CP-LRP): linear in V, transpose
 * Aᵀ·S. Nothing flows to A, so queries, keys, position biases and masks get no relevance.
 */
type AttentionUnit = Extract<Unit, { kind: 'attention' }>;

export const attentionMap: LinearMap<AttentionUnit, { weights: string }> = {
  stats: (unit) => ({ weights: unit.node.inputs[0] }),
  transpose(unit, incoming, _parameters, stats, r) {
    const b = r.builder;
    const [, values] = unit.node.inputs;
    const weightDims = r.shapes.get(stats.weights)!;
    const rank = weightDims.length;
    const perm = [...Array(rank).keys()];
    [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
    const transposed = b.op('Transpose', [r.stat(stats.weights)], { perm: { kind: 'ints', value: perm } });
    const transposedDims = perm.map((p) => weightDims[p]);
    // A's leading axes are the output's (and V's): windows, heads and the batch folded as the export has
    // them; each seed meets its own image's weights (operators/batching.ts).
    const back = overSeeds(r, incoming, unit.node.outputs[0], transposed, transposedDims, (rel, a) => b.op('MatMul', [a, rel]));
    return new Map([[values, back]]);
  },
};
