import { attrFloat, attrInt, describeNode } from '../../onnx/ir.ts';
import { scaled } from '../weights.ts';
import type { Unit } from '../units.ts';
import type { LinearMap, RuleContext } from '../rules/rule.ts';

/**
 * A linear layer (Gemm, or MatMul with a constant weight and its bias Add, see the composite) as a
 * linear map z = xWᵀ + b. Its parameter is kept as the matrix M [out, in] with ∂z/∂x applied to S = S·M.
 */
type LinearUnit = Extract<Unit, { kind: 'linear' }>;

function backwardMatrix(unit: LinearUnit, ctx: RuleContext) {
  const { node } = unit;
  const weight = ctx.index.floatConstant(node.inputs[1], node);
  const [rows, cols] = ctx.index.constant(node.inputs[1])!.dims;
  if (node.opType === 'Gemm') {
    if (attrInt(node, 'transA', 0) !== 0) throw new Error(`${describeNode(node)}: transA is not supported`);
    const alpha = attrFloat(node, 'alpha', 1);
    const transposed = attrInt(node, 'transB', 0) === 1; // weight stored [out, in]
    return transposed ? scaleMatrix(weight, rows, cols, alpha, false) : scaleMatrix(weight, rows, cols, alpha, true);
  }
  return scaleMatrix(weight, rows, cols, 1, true); // MatMul weight is [in, out]
}

function scaleMatrix(m: Float32Array, rows: number, cols: number, factor: number, transpose: boolean) {
  if (!transpose) return { dims: [rows, cols], data: factor === 1 ? m : scaled(m, factor) };
  const out = new Float32Array(m.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = m[i * cols + j] * factor;
  return { dims: [cols, rows], data: out };
}

export const linearMap: LinearMap<LinearUnit> = {
  parameters(unit, ctx) {
    const { node } = unit;
    return { weight: backwardMatrix(unit, ctx), bias: unit.bias ? ctx.index.floatConstant(unit.bias, node) : undefined };
  },
  apply(_unit, input, parameters, f) {
    const b = f.builder;
    const [out, inner] = parameters.weight!.dims;
    const forwardMatrix = new Float32Array(out * inner);
    const m = parameters.weight!.data;
    for (let i = 0; i < out; i++) for (let j = 0; j < inner; j++) forwardMatrix[j * out + i] = m[i * inner + j];
    const z = b.op('MatMul', [input, b.float('w', [inner, out], forwardMatrix)]);
    return parameters.bias ? b.op('Add', [z, b.float('b', [parameters.bias.length], parameters.bias)]) : z;
  },
  transpose(unit, incoming, parameters, _stats, r) {
    const { dims, data } = parameters.weight!;
    return new Map([[unit.node.inputs[0], r.builder.op('MatMul', [incoming, r.builder.float('m', dims, data)])]]);
  },
};
