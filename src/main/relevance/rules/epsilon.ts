import type { Rule } from './rule.ts';

/** ε rule (zennit `Epsilon`): z = the layer's output; R_in = x·transpose(R/stab(z)). */
export const epsilonRule: Rule = {
  name: 'ε',
  normaliser: 'stabilised',
  reducer: 'inputTimesGradient',
  backward: 'operator',
};
