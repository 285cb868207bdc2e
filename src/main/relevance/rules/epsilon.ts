import { attrFloat, attrInt, describeNode } from '../../onnx/ir.ts';
import type { Rule } from './rule.ts';

/**
 * ε rule for linear layers (zennit `Epsilon`): z = xWᵀ + b; R_in = x·(R/stab(z))W.
 * Applies to Gemm and to MatMul with a constant weight (with its bias Add, see canonize.ts).
 */
interface LinearStats {
  input: string;
  denominator: string;
}

/** The matrix M with shape [out, in] such that ∂z/∂x applied to S is S·M. */
function backwardMatrix(unit: Parameters<typeof epsilonRule.relevance>[0], r: Parameters<typeof epsilonRule.relevance>[3]) {
  const { node } = unit;
  const weight = r.index.floatConstant(node.inputs[1], node);
  const [rows, cols] = r.index.constant(node.inputs[1])!.dims;
  if (node.opType === 'Gemm') {
    if (attrInt(node, 'transA', 0) !== 0) throw new Error(`${describeNode(node)}: transA is not supported`);
    const alpha = attrFloat(node, 'alpha', 1);
    const transposed = attrInt(node, 'transB', 0) === 1; // weight stored [out, in]
    return transposed ? scaleMatrix(weight, rows, cols, alpha, false) : scaleMatrix(weight, rows, cols, alpha, true);
  }
  return scaleMatrix(weight, rows, cols, 1, true); // MatMul weight is [in, out]
}

function scaleMatrix(m: Float32Array, rows: number, cols: number, factor: number, transpose: boolean) {
  if (!transpose) return { dims: [rows, cols], data: factor === 1 ? m : m.map((v) => v * factor) };
  const out = new Float32Array(m.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = m[i * cols + j] * factor;
  return { dims: [cols, rows], data: out };
}

export const epsilonRule: Rule<'linear', LinearStats> = {
  name: 'ε',
  stats(unit, f) {
    const z = unit.outputs[0];
    const denominator = f.builder.stabilise(z, f.epsilon);
    f.setShape(denominator, f.shapes.get(z)!);
    return { input: unit.node.inputs[0], denominator };
  },
  relevance(unit, relevance, stats, r) {
    const b = r.builder;
    const matrix = backwardMatrix(unit, r);
    const scaled = b.op('Div', [relevance, r.stat(stats.denominator)]);
    const gradient = b.op('MatMul', [scaled, b.float('m', matrix.dims, matrix.data)]);
    return new Map([[unit.node.inputs[0], b.op('Mul', [r.stat(stats.input), gradient])]]);
  },
};
