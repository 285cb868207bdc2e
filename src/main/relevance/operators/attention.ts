import { describeNode } from '../../onnx/ir.ts';
import type { Unit } from '../units.ts';
import type { LinearMap } from '../rules/rule.ts';

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
    const outDims = r.shapes.get(unit.node.outputs[0])!;
    if (r.batchAxis(stats.weights) !== 0) {
      throw new Error(`${describeNode(unit.node)}: attention weights that do not carry the batch first are not supported`);
    }
    if (weightDims[0] === 1) return new Map([[values, b.op('MatMul', [transposed, incoming])]]);
    // Windows folded into the leading axis (Swin): seeds as a new leading axis, A broadcast over it.
    const grouped = b.op('Reshape', [incoming, b.int64('shape', [-1, ...outDims])]);
    const product = b.op('MatMul', [b.op('Unsqueeze', [transposed, b.int64('axes', [0])]), grouped]);
    const valueDims = r.shapes.get(values)!;
    return new Map([[values, b.op('Reshape', [product, b.int64('shape', [-1, ...valueDims.slice(1)])])]]);
  },
};
