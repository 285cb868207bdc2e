import type { Unit } from '../units.ts';
import type { LinearMap } from '../rules/rule.ts';
import { zerosWithBatchOf } from './structure.ts';

/** Max pooling with its maxima held: the transpose routes each cell to the input that was the maximum. */
interface MaxPoolStats {
  indices: string;
}

export const maxPoolMap: LinearMap<Extract<Unit, { kind: 'maxpool' }>, MaxPoolStats> = {
  stats(unit, f) {
    const { node } = unit;
    const x = node.inputs[0];
    const inDims = f.shapes.get(x)!;
    const b = f.builder;
    const attributes =
      node.opType === 'GlobalMaxPool'
        ? { kernel_shape: { kind: 'ints' as const, value: inDims.slice(2) } }
        : { ...node.attributes };
    const [, flatIndices] = b.node('MaxPool', [x], attributes, 2);
    // Indices count across the whole batch; relevance graphs see one image, so keep the offset within it.
    const perImage = inDims.slice(1).reduce((a, c) => a * c, 1);
    const indices = b.op('Mod', [flatIndices, b.int64('image_size', [perImage])]);
    f.setShape(indices, f.shapes.get(node.outputs[0])!);
    return { indices };
  },
  transpose(unit, relevance, _parameters, stats, r) {
    const { node } = unit;
    const b = r.builder;
    const inDims = r.shapes.get(node.inputs[0])!;
    const outDims = r.shapes.get(node.outputs[0])!;
    const inSize = inDims.slice(1).reduce((a, c) => a * c, 1);
    const outSize = outDims.slice(1).reduce((a, c) => a * c, 1);
    const flat = b.op('Reshape', [relevance, b.int64('shape', [-1, outSize])]);
    const indices = b.op('Expand', [
      b.op('Reshape', [r.stat(stats.indices), b.int64('shape', [1, outSize])]),
      b.op('Shape', [flat]),
    ]);
    const zeros = zerosWithBatchOf(r, flat, [inSize]);
    const scattered = b.op('ScatterElements', [zeros, indices, flat], {
      axis: { kind: 'int', value: 1 },
      reduction: { kind: 'string', value: 'add' },
    });
    return new Map([[node.inputs[0], b.op('Reshape', [scattered, b.int64('shape', [-1, ...inDims.slice(1)])])]]);
  },
};

