import { DataType, attrInt, attrInts, describeNode, type IrNode } from '../../onnx/ir.ts';
import type { Unit } from '../units.ts';
import type { LinearMap, RelevanceEmitter } from '../rules/rule.ts';
import { withSeedAxis } from './batching.ts';

/**
 * Structural operators (reshapes, transposes, concatenation, slices, padding) as linear maps: the
 * transpose routes relevance back through the same index mapping.
 */
/** Zeros of shape [batch of `like`, ...dims]. */
export function zerosWithBatchOf(r: RelevanceEmitter, like: string, dims: number[]): string {
  const b = r.builder;
  const batch = b.op('Slice', [b.op('Shape', [like]), b.int64('start', [0]), b.int64('end', [1])]);
  const shape = b.op('Concat', [batch, b.int64('dims', dims)], { axis: { kind: 'int', value: 0 } });
  return b.op('ConstantOfShape', [shape], {
    value: { kind: 'tensor', value: { name: 'zero', dataType: DataType.FLOAT, dims: [1], data: Float32Array.of(0) } },
  });
}

/** Zeros shaped like `like` (a relevance tensor, seeds included) with `axis` resized to `size`. */
function zerosResized(r: RelevanceEmitter, like: string, axis: number, size: number): string {
  const b = r.builder;
  const shape = b.op('Shape', [like]);
  const parts = [
    ...(axis > 0 ? [b.op('Slice', [shape, b.int64('start', [0]), b.int64('end', [axis])])] : []),
    b.int64('size', [size]),
    b.op('Slice', [shape, b.int64('start', [axis + 1]), b.int64('end', [Number.MAX_SAFE_INTEGER])]),
  ];
  return b.op('ConstantOfShape', [b.op('Concat', parts, { axis: { kind: 'int', value: 0 } })], {
    value: { kind: 'tensor', value: { name: 'zero', dataType: DataType.FLOAT, dims: [1], data: Float32Array.of(0) } },
  });
}

/**
 * The transpose of taking positions `taken` along `axis` (of `size`): each slice of `incoming` added back
 * at its position, zeros elsewhere. Shapes come from `incoming` at run time, since its leading axis
 * holds the seeds.
 */
function scatterAlong(r: RelevanceEmitter, incoming: string, rank: number, axis: number, taken: number[], size: number): string {
  const b = r.builder;
  const shape = b.op('Shape', [incoming]);
  const zeros = zerosResized(r, incoming, axis, size);
  const indexDims = new Array(rank).fill(1);
  indexDims[axis] = taken.length;
  const indices = b.op('Expand', [b.op('Reshape', [b.int64('taken', taken), b.int64('shape', indexDims)]), shape]);
  return b.op('ScatterElements', [zeros, indices, incoming], {
    axis: { kind: 'int', value: axis },
    reduction: { kind: 'string', value: 'add' },
  });
}

function constantInts(r: RelevanceEmitter, node: IrNode, position: number, name: string): number[] | undefined {
  const fromAttribute = attrInts(node, name);
  if (fromAttribute) return fromAttribute;
  const input = node.inputs[position];
  if (!input) return undefined;
  const tensor = r.index.constant(input);
  if (!tensor) throw new Error(`${describeNode(node)}: input '${name}' must be a constant`);
  return Array.from(tensor.data as BigInt64Array, Number);
}

export const structureMap: LinearMap<Extract<Unit, { kind: 'structure' }>> = {
  transpose(unit, _incoming, _parameters, _stats, r) {
    const { node } = unit;
    const b = r.builder;
    const relevanceOf = (tensor: string) => r.relevanceOf(tensor);
    const x = node.inputs[0];
    const inDims = r.shapes.get(x)!;
    const rank = inDims.length;
    const axisOf = (a: number) => (a < 0 ? a + rank : a);
    const out = relevanceOf(node.outputs[0]);
    switch (node.opType) {
      case 'Identity':
      case 'Dropout':
        return new Map([[x, out!]]);
      case 'Flatten':
      case 'Reshape':
      case 'Squeeze':
      case 'Unsqueeze':
        return new Map([[x, b.op('Reshape', [out!, b.int64('shape', withSeedAxis(inDims, r.batchLayout(x).axis))])]]);
      case 'Transpose': {
        const perm = attrInts(node, 'perm') ?? inDims.map((_, i) => rank - 1 - i);
        // Moving the batch axis is fine: attention's q/k/v split puts it second and a Gather takes it back.
        const inverse = perm.map((_, i) => perm.indexOf(i));
        return new Map([[x, b.op('Transpose', [out!], { perm: { kind: 'ints', value: inverse } })]]);
      }
      case 'Concat': {
        const axis = axisOf(attrInt(node, 'axis', 0));
        const result = new Map<string, string>();
        let offset = 0;
        for (const input of node.inputs) {
          const size = r.shapes.get(input)?.[axis] ?? r.index.constant(input)?.dims[axis] ?? 0;
          if (unit.inputs.includes(input)) {
            const part = b.op('Slice', [out!, b.int64('start', [offset]), b.int64('end', [offset + size]), b.int64('axes', [axis])]);
            result.set(input, result.has(input) ? b.op('Add', [result.get(input)!, part]) : part);
          }
          offset += size;
        }
        return result;
      }
      case 'Split': {
        const axis = axisOf(attrInt(node, 'axis', 0));
        const carrier = node.outputs.map(relevanceOf).find(Boolean)!;
        const parts = node.outputs.map((o) => relevanceOf(o) ?? zerosResized(r, carrier, axis, r.shapes.get(o)![axis]));
        return new Map([[x, b.op('Concat', parts, { axis: { kind: 'int', value: axis } })]]);
      }
      case 'Slice': {
        const starts = constantInts(r, node, 1, 'starts')!;
        const ends = constantInts(r, node, 2, 'ends')!;
        const axes = (constantInts(r, node, 3, 'axes') ?? starts.map((_, i) => i)).map(axisOf);
        const steps = constantInts(r, node, 4, 'steps') ?? starts.map(() => 1);
        if (steps.some((s) => s < 1) || axes.includes(r.batchLayout(x).axis)) {
          throw new Error(`${describeNode(node)}: only forward slices off the batch axis are supported`);
        }
        const clampedStart = (i: number) => {
          const size = inDims[axes[i]];
          return Math.min(Math.max(starts[i] < 0 ? starts[i] + size : starts[i], 0), size);
        };
        if (steps.every((s) => s === 1)) {
          const pads = new Array(rank * 2).fill(0);
          axes.forEach((axis, i) => {
            const size = inDims[axis];
            const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
            pads[axis] = clamp(starts[i]);
            pads[axis + rank] = size - clamp(ends[i]);
          });
          return new Map([[x, b.op('Pad', [out!, b.int64('pads', pads)])]]);
        }
        // Strided (Swin's patch merging, x[:, 0::2]): each axis spread back in turn, every value followed
        // by step − 1 zeros (pad a new axis, merge it in), then shifted to its start: memory moves only.
        const dims = [...r.shapes.get(node.outputs[0])!];
        const seedAxis = r.batchLayout(x).axis;
        let result = out!;
        axes.forEach((axis, i) => {
          const step = steps[i];
          const taken = dims[axis];
          const widened = new Array(rank * 2 + 2).fill(0);
          widened[axis + 1 + rank + 1] = step - 1;
          const spread = b.op('Pad', [b.op('Unsqueeze', [result, b.int64('axes', [axis + 1])]), b.int64('pads', widened)]);
          const merged = dims.map((d, j) => (j === seedAxis ? -1 : j === axis ? taken * step : d));
          const start = clampedStart(i);
          const pads = new Array(rank * 2).fill(0);
          pads[axis] = start;
          pads[axis + rank] = inDims[axis] - start - taken * step; // negative: crops the last zeros
          result = b.op('Pad', [b.op('Reshape', [spread, b.int64('shape', merged)]), b.int64('pads', pads)]);
          dims[axis] = inDims[axis];
        });
        return new Map([[x, result]]);
      }
      case 'Gather': {
        const axis = axisOf(attrInt(node, 'axis', 0));
        const indexTensor = r.index.constant(node.inputs[1]);
        if (!indexTensor) throw new Error(`${describeNode(node)}: the indices must be constant`);
        const size = inDims[axis];
        const indices = Array.from(indexTensor.data as ArrayLike<number | bigint>, Number).map((v) => (v < 0 ? v + size : v));
        if (indexTensor.dims.length > 1) throw new Error(`${describeNode(node)}: only scalar or 1-D indices are supported`);
        if (indexTensor.dims.length === 0) {
          // One index (the class token, q/k/v of a fused projection): the slot back in place, zeros around it.
          const pads = new Array(rank * 2).fill(0);
          pads[axis] = indices[0];
          pads[axis + rank] = size - 1 - indices[0];
          return new Map([[x, b.op('Pad', [b.op('Unsqueeze', [out!, b.int64('axes', [axis])]), b.int64('pads', pads)])]]);
        }
        if (axis === 0) throw new Error(`${describeNode(node)}: a gather of several indices along the batch axis is not supported`);
        return new Map([[x, scatterAlong(r, out!, rank, axis, indices, size)]]);
      }
      case 'Expand': {
        const outDims = r.shapes.get(node.outputs[0])!;
        if (outDims.length !== rank) throw new Error(`${describeNode(node)}: an expand that adds axes is not supported`);
        const broadcast = inDims.flatMap((d, i) => (i > 0 && d === 1 && outDims[i] !== 1 ? [i] : []));
        const summed = broadcast.length ? b.op('ReduceSum', [out!, b.int64('axes', broadcast)], { keepdims: { kind: 'int', value: 1 } }) : out!;
        return new Map([[x, b.op('Reshape', [summed, b.int64('shape', withSeedAxis(inDims, r.batchLayout(x).axis))])]]);
      }
      case 'Tile': {
        const repeats = constantInts(r, node, 1, 'repeats')!;
        if (repeats[0] !== 1) throw new Error(`${describeNode(node)}: tiling along the batch axis is not supported`);
        // [k, r1·d1, r2·d2, …] viewed as [k, r1, d1, r2, d2, …]; the copies summed.
        const split = inDims.slice(1).flatMap((d, i) => [repeats[i + 1], d]);
        const viewed = b.op('Reshape', [out!, b.int64('shape', [-1, ...split])]);
        const copies = split.flatMap((_, i) => (i % 2 === 0 ? [i + 1] : []));
        const summed = b.op('ReduceSum', [viewed, b.int64('axes', copies)], { keepdims: { kind: 'int', value: 0 } });
        return new Map([[x, b.op('Reshape', [summed, b.int64('shape', [-1, ...inDims.slice(1)])])]]);
      }
      case 'Pad': {
        const mode = node.attributes.mode;
        if (mode && mode.kind === 'string' && mode.value !== 'constant') {
          throw new Error(`${describeNode(node)}: only constant padding is supported`);
        }
        const given = constantInts(r, node, 1, 'pads')!;
        const padAxes = (node.inputs[3] ? constantInts(r, node, 3, 'axes')! : inDims.map((_, i) => i)).map(axisOf);
        const pads = new Array(rank * 2).fill(0);
        padAxes.forEach((axis, i) => {
          pads[axis] = given[i];
          pads[axis + rank] = given[i + padAxes.length];
        });
        const starts = inDims.map((_, i) => pads[i]);
        const ends = inDims.map((d, i) => pads[i] + d);
        const axes = inDims.map((_, i) => i).slice(1);
        return new Map([[x, b.op('Slice', [out!, b.int64('start', starts.slice(1)), b.int64('end', ends.slice(1)), b.int64('axes', axes)])]]);
      }
      default:
        throw new Error(`${describeNode(node)}: no structural rule for this operator`);
    }
  },
};
