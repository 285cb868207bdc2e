import { attrInt, describeNode, ints } from '../../onnx/ir.ts';
import type { Unit } from '../units.ts';
import type { LinearMap } from '../rules/rule.ts';
import { withStat } from './batching.ts';

/**
 * LayerNormalization with σ held at its forward value (CP-LRP): y = C(x)·γ/σ + β is linear in x, where
 * C subtracts the mean over the normalised axes. C is symmetric, so the transpose of S is
 * C(S·γ/σ) = v − mean(v) with v = S·γ/σ.
 */
type LayerNormUnit = Extract<Unit, { kind: 'layerNorm' }>;

interface LayerNormStats {
  /** 1/σ per normalised group, shaped like x with 1 on the normalised axes; or σ itself (decomposed form). */
  inverseDeviation?: string;
  deviation?: string;
}

function normalisedAxes(unit: LayerNormUnit, rank: number): number[] {
  if (unit.decomposed) {
    const axes = unit.decomposed.axes.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
    if (axes.includes(0)) throw new Error(`${describeNode(unit.node)}: a layer norm over the batch axis is not supported`);
    return axes;
  }
  const axis = attrInt(unit.node, 'axis', -1);
  const first = axis < 0 ? axis + rank : axis;
  if (first <= 0) throw new Error(`${describeNode(unit.node)}: a layer norm over the batch axis is not supported`);
  return Array.from({ length: rank - first }, (_, i) => first + i);
}

export const layerNormMap: LinearMap<LayerNormUnit, LayerNormStats> = {
  stats(unit, f) {
    const { node } = unit;
    if (unit.decomposed) return { deviation: unit.decomposed.deviation };
    // The operator's own third output is 1/σ, computed exactly as the forward pass did.
    const [, , inverseDeviation] = f.builder.node('LayerNormalization', node.inputs, { ...node.attributes }, 3);
    const xDims = f.shapes.get(node.inputs[0])!;
    const axes = normalisedAxes(unit, xDims.length);
    f.setShape(inverseDeviation, xDims.map((d, i) => (axes.includes(i) ? 1 : d)));
    return { inverseDeviation };
  },
  transpose(unit, incoming, _parameters, stats, r) {
    const { node } = unit;
    const b = r.builder;
    const x = unit.inputs[0];
    const axes = normalisedAxes(unit, r.shapes.get(x)!.length);
    const scale = unit.decomposed ? unit.decomposed.scale : node.inputs[1];
    const scaled = scale
      ? b.op('Mul', [incoming, b.float('gamma', r.index.constant(scale)!.dims, r.index.floatConstant(scale, node))])
      : incoming;
    const v = stats.deviation
      ? withStat(r, 'Div', scaled, x, stats.deviation)
      : withStat(r, 'Mul', scaled, x, stats.inverseDeviation!);
    const mean = b.op('ReduceMean', [v], { axes: ints(axes), keepdims: { kind: 'int', value: 1 } });
    return new Map([[x, b.op('Sub', [v, mean])]]);
  },
};
