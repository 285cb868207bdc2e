import { DataType, attrInt, attrInts, describeNode, type IrNode } from '../../onnx/ir.ts';
import type { Unit } from '../units.ts';
import type { LinearMap, RelevanceEmitter } from '../rules/rule.ts';

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
        return new Map([[x, b.op('Reshape', [out!, b.int64('shape', [-1, ...inDims.slice(1)])])]]);
      case 'Transpose': {
        const perm = attrInts(node, 'perm') ?? inDims.map((_, i) => rank - 1 - i);
        if (perm[0] !== 0) throw new Error(`${describeNode(node)}: a transpose that moves the batch axis is not supported`);
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
        const parts = node.outputs.map((o) => relevanceOf(o) ?? zerosWithBatchOf(r, carrier, r.shapes.get(o)!.slice(1)));
        return new Map([[x, b.op('Concat', parts, { axis: { kind: 'int', value: axis } })]]);
      }
      case 'Slice': {
        const starts = constantInts(r, node, 1, 'starts')!;
        const ends = constantInts(r, node, 2, 'ends')!;
        const axes = (constantInts(r, node, 3, 'axes') ?? starts.map((_, i) => i)).map(axisOf);
        const steps = constantInts(r, node, 4, 'steps') ?? starts.map(() => 1);
        if (steps.some((s) => s !== 1) || axes.includes(0)) {
          throw new Error(`${describeNode(node)}: only unit-step slices off the batch axis are supported`);
        }
        const pads = new Array(rank * 2).fill(0);
        axes.forEach((axis, i) => {
          const size = inDims[axis];
          const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
          pads[axis] = clamp(starts[i]);
          pads[axis + rank] = size - clamp(ends[i]);
        });
        return new Map([[x, b.op('Pad', [out!, b.int64('pads', pads)])]]);
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
