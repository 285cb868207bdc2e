import type { Rule } from './rule.ts';

/**
 * Pass rule (zennit `Pass`): relevance goes on unchanged to the unit's first listed input. Elementwise
 * activations, arithmetic with a constant, an output normalisation; for a squeeze-excitation product
 * the listed input is the signal, so the gate gets nothing (signal only).
 */
export const passRule: Rule = {
  name: 'pass',
  normaliser: 'none',
  reducer: 'gradient',
  backward: 'identity',
};
