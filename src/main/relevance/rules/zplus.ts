import { attrInt, attrInts, attrString, describeNode, ints, int, type IrNode } from '../../onnx/ir.ts';
import type { Rule, RuleContext } from './rule.ts';

/**
 * z⁺ rule for convolutions (zennit `ZPlus`): z = conv(x⁺,W⁺,b⁺) + conv(x⁻,W⁻);
 * R_in = x⁺·convᵀ(R/stab(z), W⁺) + x⁻·convᵀ(R/stab(z), W⁻).
 */
interface ConvStats {
  denominator: string;
  positiveInput: string;
  negativeInput?: string;
}

export interface ConvGeometry {
  group: number;
  strides: number[];
  dilations: number[];
  kernel: number[];
  pads: number[];
  /** The padding of the transpose: `pads`, plus at the end the part of ceil_mode's last window past the input. */
  transposePads: number[];
  /** Rows the convolution dropped at the end, which the transpose must give back. */
  outputPadding: number[];
}

/** Padding, strides and lost rows of a convolution or pooling node, from its attributes and static shapes. */
export function convGeometry(
  node: IrNode,
  kernel: number[],
  inputDims: number[],
  outputDims: number[],
): ConvGeometry {
  const spatial = kernel.length;
  const strides = attrInts(node, 'strides') ?? new Array(spatial).fill(1);
  const dilations = attrInts(node, 'dilations') ?? new Array(spatial).fill(1);
  let pads = attrInts(node, 'pads') ?? new Array(spatial * 2).fill(0);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  const inSize = inputDims.slice(2);
  const outSize = outputDims.slice(2);
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = new Array(spatial * 2).fill(0);
    for (let i = 0; i < spatial; i++) {
      const total = Math.max(
        0,
        (outSize[i] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inSize[i],
      );
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + spatial] = total - pads[i];
    }
  } else if (autoPad === 'VALID') {
    pads = new Array(spatial * 2).fill(0);
  }
  const outputPadding = inSize.map(
    (size, i) =>
      size -
      ((outSize[i] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - pads[i] - pads[i + spatial]),
  );
  // A pooling in ceil_mode adds a last, partial window that reaches past the input and its padding: the
  // transpose crops what lies beyond, as if that much more padding were at the end.
  const transposePads = [...pads];
  if (attrInt(node, 'ceil_mode', 0) === 1) {
    outputPadding.forEach((p, i) => {
      if (p >= 0 || -p >= strides[i]) return;
      transposePads[i + spatial] += -p;
      outputPadding[i] = 0;
    });
  }
  if (outputPadding.some((p, i) => p < 0 || p >= Math.max(strides[i], dilations[i]))) {
    throw new Error(
      `${describeNode(node)}: cannot transpose a window of this geometry (output padding ${outputPadding})`,
    );
  }
  return { group: attrInt(node, 'group', 1), strides, dilations, kernel, pads, transposePads, outputPadding };
}

export function transposeAttributes(g: ConvGeometry) {
  return {
    group: int(g.group),
    strides: ints(g.strides),
    dilations: ints(g.dilations),
    kernel_shape: ints(g.kernel),
    pads: ints(g.transposePads),
    output_padding: ints(g.outputPadding),
  };
}

function splitWeights(ctx: RuleContext, node: IrNode) {
  const weight = ctx.index.floatConstant(node.inputs[1], node);
  const dims = ctx.index.constant(node.inputs[1])!.dims;
  const positive = weight.map((w) => (w > 0 ? w : 0));
  const negative = weight.map((w) => (w < 0 ? w : 0));
  const bias = node.inputs[2] ? ctx.index.floatConstant(node.inputs[2], node) : undefined;
  const positiveBias = bias?.map((b) => (b > 0 ? b : 0));
  return { dims, positive, negative, positiveBias };
}

export const zPlusRule: Rule<'conv', ConvStats> = {
  name: 'z⁺',
  stats(unit, f) {
    const { node } = unit;
    const x = node.inputs[0];
    const { dims, positive, negative, positiveBias } = splitWeights(f, node);
    const b = f.builder;
    const attributes = { ...node.attributes };
    const convInputs = (input: string, weight: Float32Array, bias?: Float32Array) => {
      const list = [input, b.float('w', dims, weight)];
      if (bias) list.push(b.float('b', [bias.length], bias));
      return list;
    };
    const nonNegative = f.nonNegative(x);
    const positiveInput = nonNegative ? x : b.op('Relu', [x]);
    let z = b.op('Conv', convInputs(positiveInput, positive, positiveBias), attributes);
    let negativeInput: string | undefined;
    if (!nonNegative) {
      negativeInput = b.op('Min', [x, b.scalar(0)]);
      z = b.op('Add', [z, b.op('Conv', convInputs(negativeInput, negative), attributes)]);
      f.setShape(negativeInput, f.shapes.get(x)!);
    }
    const denominator = b.stabilise(z, f.epsilon);
    f.setShape(positiveInput, f.shapes.get(x)!);
    f.setShape(denominator, f.shapes.get(node.outputs[0])!);
    return { denominator, positiveInput, negativeInput };
  },
  relevance(unit, relevance, stats, r) {
    const { node } = unit;
    const { dims, positive, negative } = splitWeights(r, node);
    const geometry = convGeometry(
      node,
      dims.slice(2),
      r.shapes.get(node.inputs[0])!,
      r.shapes.get(node.outputs[0])!,
    );
    const attributes = transposeAttributes(geometry);
    const b = r.builder;
    const scaled = b.op('Div', [relevance, r.stat(stats.denominator)]);
    const back = (weight: Float32Array, input: string) =>
      b.op('Mul', [r.stat(input), b.op('ConvTranspose', [scaled, b.float('w', dims, weight)], attributes)]);
    let result = back(positive, stats.positiveInput);
    if (stats.negativeInput) result = b.op('Add', [result, back(negative, stats.negativeInput)]);
    return new Map([[node.inputs[0], result]]);
  },
};
