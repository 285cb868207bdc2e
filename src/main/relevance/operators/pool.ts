import { attrInt, attrInts, describeNode, ints, int } from '../../onnx/ir.ts';
import type { Unit } from '../units.ts';
import type { LinearMap, RelevanceEmitter } from '../rules/rule.ts';
import { convGeometry } from './conv.ts';

/** Average pooling and means (GlobalAveragePool, AveragePool, ReduceMean over any axes) as linear maps. */
type PoolUnit = Extract<Unit, { kind: 'avgpool' | 'meanGradient' }>;

/** For AveragePool: how many input cells each output cell averaged over (the divisor). */
function poolCounts(
  kernel: number[],
  strides: number[],
  pads: number[],
  inSize: number[],
  outSize: number[],
  includePad: boolean,
) {
  const [oh, ow] = outSize;
  const counts = new Float32Array(oh * ow);
  const span = (o: number, axis: number) => {
    const start = o * strides[axis] - pads[axis];
    const end = start + kernel[axis];
    const lo = includePad ? start : Math.max(start, 0);
    const hi = includePad ? Math.min(end, inSize[axis] + pads[axis + 2]) : Math.min(end, inSize[axis]);
    return hi - lo;
  };
  for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) counts[y * ow + x] = span(y, 0) * span(x, 1);
  return counts;
}

/** The transpose of an average pooling applied to `incoming`, shaped like the pooling's input. */
function poolTranspose(
  unit: PoolUnit,
  incoming: string,
  r: RelevanceEmitter,
): string {
  const { node } = unit;
  const b = r.builder;
  const inDims = r.shapes.get(node.inputs[0])!;
  if (node.opType === 'GlobalAveragePool' || node.opType === 'ReduceMean') {
    let scaled = incoming;
    if (node.opType === 'ReduceMean') {
      const axes =
        attrInts(node, 'axes') ??
        (node.inputs[1] ? Array.from(r.index.constant(node.inputs[1])?.data ?? [], Number) : []);
      // No axes: the mean over all of them (noop_with_empty_axes aside, which no exporter emits).
      const reduced = (axes.length ? axes : inDims.map((_, i) => i)).map((a) => (a < 0 ? a + inDims.length : a)).sort();
      if (reduced.includes(0)) {
        throw new Error(`${describeNode(node)}: a mean over the batch axis is not supported`);
      }
      if (attrInt(node, 'keepdims', 1) === 0) scaled = b.op('Unsqueeze', [scaled, b.int64('axes', reduced)]);
      const count = reduced.reduce((a, axis) => a * inDims[axis], 1);
      return b.op('Expand', [b.op('Mul', [scaled, b.scalar(1 / count)]), b.int64('shape', [1, ...inDims.slice(1)])]);
    }
    const area = inDims.slice(2).reduce((a, c) => a * c, 1);
    return b.op('Expand', [
      b.op('Mul', [scaled, b.scalar(1 / area)]),
      b.int64('shape', [1, ...inDims.slice(1)]),
    ]);
  }
  if (inDims.length !== 4) throw new Error(`${describeNode(node)}: only 2-D average pooling is supported`);
  const kernel = attrInts(node, 'kernel_shape')!;
  const outDims = r.shapes.get(node.outputs[0])!;
  const geometry = convGeometry(node, kernel, inDims, outDims);
  const includePad = attrInt(node, 'count_include_pad', 0) === 1;
  const counts = poolCounts(
    kernel,
    geometry.strides,
    geometry.pads,
    inDims.slice(2),
    outDims.slice(2),
    includePad,
  );
  const perCell = b.op('Div', [incoming, b.float('counts', [1, 1, ...outDims.slice(2)], counts)]);
  const channels = inDims[1];
  const ones = new Float32Array(channels * kernel[0] * kernel[1]).fill(1);
  return b.op('ConvTranspose', [perCell, b.float('ones', [channels, 1, ...kernel], ones)], {
    group: int(channels),
    strides: ints(geometry.strides),
    kernel_shape: ints(kernel),
    pads: ints(geometry.transposePads),
    output_padding: ints(geometry.outputPadding),
  });
}


export const poolMap: LinearMap<PoolUnit> = {
  transpose: (unit, incoming, _parameters, _stats, r) => new Map([[unit.node.inputs[0], poolTranspose(unit, incoming, r)]]),
};
