import type { Rule } from './rule.ts';

/** Gradient rule: the operator's transpose applied to the relevance as it is (max pooling, structure). */
export const gradientRule: Rule = {
  name: 'gradient',
  normaliser: 'none',
  reducer: 'gradient',
  backward: 'operator',
};
