import { negativePart, positivePart } from '../weights.ts';
import type { Parameters, Rule } from './rule.ts';

/**
 * z⁺ rule (zennit `ZPlus`): z = op(x⁺,W⁺,b⁺) + op(x⁻,W⁻); R_in = x⁺·opᵀ(R/stab(z), W⁺) + x⁻·opᵀ(R/stab(z), W⁻).
 */
export const zPlusRule: Rule = {
  name: 'z⁺',
  branches: [
    {
      input: 'positive',
      parameters: ({ weight, bias }: Parameters) => ({
        weight: weight && { dims: weight.dims, data: positivePart(weight.data) },
        bias: bias && positivePart(bias),
      }),
    },
    {
      input: 'negative',
      parameters: ({ weight }: Parameters) => ({ weight: weight && { dims: weight.dims, data: negativePart(weight.data) } }),
    },
  ],
  signSplit: true,
  normaliser: 'stabilised',
  reducer: 'inputTimesGradient',
  backward: 'operator',
};
