import type { Unit } from '../units.ts';
import type { LinearMap } from '../rules/rule.ts';

/** A sum of computed tensors (a residual Add): its transpose hands the incoming tensor to every summand. */
export const sumMap: LinearMap<Extract<Unit, { kind: 'sum' }>> = {
  transpose(unit, incoming, _parameters, _stats, r) {
    const result = new Map<string, string>();
    for (const input of unit.inputs) {
      // Add(x, x) sends both halves to the same tensor.
      result.set(input, result.has(input) ? r.builder.op('Add', [result.get(input)!, incoming]) : incoming);
    }
    return result;
  },
};
