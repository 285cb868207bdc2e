import { attrInt, attrInts, attrString, describeNode, ints, int, type IrNode } from '../../onnx/ir.ts';
import type { Unit } from '../units.ts';
import type { LinearMap } from '../rules/rule.ts';

/** A convolution as a linear map: its transpose is `ConvTranspose` with the same weights and geometry. */

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

type ConvUnit = Extract<Unit, { kind: 'conv' }>;

export const convMap: LinearMap<ConvUnit> = {
  parameters(unit, ctx) {
    const { node } = unit;
    const weight = { dims: ctx.index.constant(node.inputs[1])!.dims, data: ctx.index.floatConstant(node.inputs[1], node) };
    return { weight, bias: node.inputs[2] ? ctx.index.floatConstant(node.inputs[2], node) : undefined };
  },
  apply(unit, input, parameters, f) {
    const b = f.builder;
    const { weight, bias } = parameters;
    const inputs = [input, b.float('w', weight!.dims, weight!.data)];
    if (bias) inputs.push(b.float('b', [bias.length], bias));
    return b.op('Conv', inputs, { ...unit.node.attributes });
  },
  transpose(unit, incoming, parameters, _stats, r) {
    const { node } = unit;
    const { dims, data } = parameters.weight!;
    const geometry = convGeometry(node, dims.slice(2), r.shapes.get(node.inputs[0])!, r.shapes.get(node.outputs[0])!);
    const asConv = strideOneTranspose(geometry, dims, data);
    const back = asConv
      ? r.builder.op('Conv', [incoming, r.builder.float('w', asConv.dims, asConv.data)], asConv.attributes)
      : r.builder.op('ConvTranspose', [incoming, r.builder.float('w', dims, data)], transposeAttributes(geometry));
    return new Map([[node.inputs[0], back]]);
  },
};

/**
 * The transpose of a stride-1 convolution as a convolution: the kernel flipped in space and its input and
 * output channels swapped within each group, padded by the kernel's reach less the original padding.
 * onnxruntime runs `Conv` through its blocked kernels (depthwise ones included), where `ConvTranspose`
 * runs one small matrix product per group; for EfficientNets' depthwise and 1×1 layers that is most of a
 * relevance pass. Returns undefined where the geometry needs `ConvTranspose` (strides, negative padding).
 */
export function strideOneTranspose(
  g: ConvGeometry,
  dims: number[],
  data: Float32Array,
): { dims: number[]; data: Float32Array; attributes: Record<string, ReturnType<typeof int> | ReturnType<typeof ints>> } | undefined {
  const spatial = g.kernel.length;
  if (spatial !== 2 || g.strides.some((s) => s !== 1) || g.outputPadding.some((p) => p !== 0)) return undefined;
  const reach = g.kernel.map((k, i) => (k - 1) * g.dilations[i]);
  const pads = g.transposePads.map((p, i) => reach[i % spatial] - p);
  if (pads.some((p) => p < 0)) return undefined;
  const [outChannels, inPerGroup, kh, kw] = dims;
  const outPerGroup = outChannels / g.group;
  const flipped = new Float32Array(data.length);
  const plane = kh * kw;
  for (let group = 0; group < g.group; group++) {
    for (let o = 0; o < outPerGroup; o++) {
      for (let i = 0; i < inPerGroup; i++) {
        const from = ((group * outPerGroup + o) * inPerGroup + i) * plane;
        const to = ((group * inPerGroup + i) * outPerGroup + o) * plane;
        for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) flipped[to + (kh - 1 - y) * kw + (kw - 1 - x)] = data[from + y * kw + x];
      }
    }
  }
  return {
    dims: [inPerGroup * g.group, outPerGroup, kh, kw],
    data: flipped,
    attributes: { group: int(g.group), dilations: ints(g.dilations), kernel_shape: ints(g.kernel), pads: ints(pads), strides: ints(g.strides) },
  };
}
