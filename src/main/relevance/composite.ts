import type { UnitKind } from './units.ts';
import type { Rule } from './rules/rule.ts';
import { epsilonRule } from './rules/epsilon.ts';
import { gateRule, passRule } from './rules/pass.ts';
import { avgPoolRule, meanGradientRule, sumRule } from './rules/norm.ts';
import { maxPoolRule, structureRule } from './rules/gradient.ts';
import { zPlusRule } from './rules/zplus.ts';

/**
 * zennit's `EpsilonPlus` composite with the ResNet/EfficientNet canonizers: z⁺ for convolutions, ε for
 * linear layers, norm for residual sums and average pooling, pass for activations, signal-only for
 * squeeze-excitation gates, gradient for max pooling and structure.
 */
export type Composite = { [K in Exclude<UnitKind, 'unsupported'>]: Rule<K, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any

export const epsilonPlus: Composite = {
  conv: zPlusRule,
  linear: epsilonRule,
  pass: passRule,
  gate: gateRule,
  sum: sumRule,
  avgpool: avgPoolRule,
  meanGradient: meanGradientRule,
  maxpool: maxPoolRule,
  structure: structureRule,
};

/** zennit's default stabiliser ε. */
export const STABILISER_EPSILON = 1e-6;
