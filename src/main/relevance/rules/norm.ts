import { attrInt, attrInts, describeNode, ints, int } from '../../onnx/ir.ts';
import type { Unit } from '../units.ts';
import type { RelevanceEmitter, Rule } from './rule.ts';
import { convGeometry } from './zplus.ts';

/**
 * Norm rule (zennit `Norm`): relevance shared in proportion to each input's contribution to the output,
 * x·(∂out/∂x)ᵀ(R/stab(out)). Used for residual sums (zennit's canonizers turn them into a `Sum` module
 * with this rule) and for average pooling.
 */
interface SumStats {
  denominator: string;
}

function stabiliseOutput(unit: { outputs: string[] }, f: Parameters<typeof sumRule.stats>[1]): string {
  const out = unit.outputs[0];
  const denominator = f.builder.stabilise(out, f.epsilon);
  f.setShape(denominator, f.shapes.get(out)!);
  return denominator;
}

export const sumRule: Rule<'sum', SumStats> = {
  name: 'norm (sum)',
  stats: (unit, f) => ({ denominator: stabiliseOutput(unit, f) }),
  relevance(unit, relevance, stats, r) {
    const b = r.builder;
    const scaled = b.op('Div', [relevance, r.stat(stats.denominator)]);
    const result = new Map<string, string>();
    for (const input of unit.inputs) {
      const share = b.op('Mul', [r.stat(input), scaled]);
      // Add(x, x) sends both halves to the same tensor.
      result.set(input, result.has(input) ? b.op('Add', [result.get(input)!, share]) : share);
    }
    return result;
  },
};

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
  unit: Extract<Unit, { kind: 'avgpool' | 'meanGradient' }>,
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
      const normalised = axes.map((a) => (a < 0 ? a + inDims.length : a)).sort();
      if (inDims.length !== 4 || normalised.join() !== '2,3') {
        throw new Error(
          `${describeNode(node)}: only a spatial mean (axes 2, 3) is supported, not axes [${axes}]`,
        );
      }
      if (attrInt(node, 'keepdims', 1) === 0) scaled = b.op('Unsqueeze', [scaled, b.int64('axes', [2, 3])]);
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

export const avgPoolRule: Rule<'avgpool', SumStats> = {
  name: 'norm (average pooling)',
  stats: (unit, f) => ({ denominator: stabiliseOutput(unit, f) }),
  relevance(unit, relevance, stats, r) {
    const x = unit.node.inputs[0];
    const scaled = r.builder.op('Div', [relevance, r.stat(stats.denominator)]);
    return new Map([[x, r.builder.op('Mul', [r.stat(x), poolTranspose(unit, scaled, r)])]]);
  },
};

/**
 * Plain gradient through an average pooling that the PyTorch model calls as a function
 * (`F.adaptive_avg_pool2d` in torchvision's MobileNetV2): zennit hooks modules only, so such a pooling
 * gets no rule of its own and relevance flows through it as the gradient does.
 */
export const meanGradientRule: Rule<'meanGradient', null> = {
  name: 'gradient (functional average pooling)',
  stats: () => null,
  relevance: (unit, relevance, _stats, r) =>
    new Map([[unit.node.inputs[0], poolTranspose(unit, relevance, r)]]),
};
