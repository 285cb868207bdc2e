import type { Rule } from './rule.ts';

/**
 * Norm rule (zennit `Norm`): relevance shared in proportion to each input's contribution to the output,
 * x·transpose(R/stab(out)). Residual sums, average pooling and means.
 */
export const normRule: Rule = {
  name: 'norm',
  normaliser: 'stabilised',
  reducer: 'inputTimesGradient',
  backward: 'operator',
};
