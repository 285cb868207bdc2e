import type { Rule } from './rule.ts';

/**
 * Pass rule (zennit `Pass`): elementwise activations, batch norm outside a conv, arithmetic with a
 * constant and an output normalisation hand their relevance on unchanged.
 */
export const passRule: Rule<'pass', null> = {
  name: 'pass',
  stats: () => null,
  relevance: (unit, relevance) => new Map([[unit.inputs[0], relevance]]),
};

/**
 * Signal-only rule for squeeze-excitation products `x·g(x)`: the gate g is treated as a constant
 * scale, so all relevance goes to the signal x and none to the gate branch.
 */
export const gateRule: Rule<'gate', null> = {
  name: 'signal only',
  stats: () => null,
  relevance: (unit, relevance) => new Map([[unit.inputs[0], relevance]]),
};
