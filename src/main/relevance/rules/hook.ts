import { overSeeds, withStat } from '../operators/batching.ts';
import { absolute, positivePart } from '../weights.ts';
import type { Unit } from '../units.ts';
import type { ForwardEmitter, InputModifier, LinearMap, Parameters, RelevanceEmitter, Rule } from './rule.ts';

/**
 * The one mechanism every rule configures (zennit's `BasicHook`): forward branches on modified inputs
 * and parameters give z; the incoming relevance is normalised (R/stab(z)) or not; the operator's
 * transpose maps it back per branch; the reducer multiplies by the branch's input or not; the branches
 * sum. `Pass` (backward `identity`) skips the operator altogether.
 */
export interface RuleStats {
  /**
   * Per branch: the forward tensor standing for each of the unit's inputs, how the branch modifies it
   * (its positive or negative part, taken in the relevance pass from the one statistic, so that the
   * forward pass hands over x once instead of x⁺ and x⁻), and the branch's parameters.
   */
  branches: { inputs: string[]; modifier?: InputModifier; parameters: Parameters }[];
  denominator?: string;
  operator: unknown;
}

/** The forward side, run once per image: modified inputs, z and its stabilised form, the operator's stats. */
export function ruleStats(rule: Rule, map: LinearMap, unit: Unit, f: ForwardEmitter): RuleStats {
  if (rule.backward === 'identity') return { branches: [], operator: undefined };
  const operator = map.stats?.(unit, f);
  const parameters = map.parameters?.(unit, f) ?? {};
  const stabilised = (z: string) => {
    const denominator = f.builder.stabilise(z, f.epsilon);
    f.setShape(denominator, f.shapes.get(unit.outputs[0])!, unit.outputs[0]);
    return denominator;
  };
  if (!rule.branches) {
    const denominator = rule.normaliser === 'stabilised' ? stabilised(unit.outputs[0]) : undefined;
    return { branches: [{ inputs: unit.inputs, parameters }], denominator, operator };
  }
  if (!map.apply || unit.inputs.length !== 1) {
    throw new Error(`rule ${rule.name} modifies inputs, which ${unit.node.opType} units do not support`);
  }
  const x = unit.inputs[0];
  const nonNegative = f.nonNegative(x);
  const b = f.builder;
  const branches: RuleStats['branches'] = [];
  const fromSigns = rule.signSplit && !nonNegative && parameters.weight;
  let z: string | undefined;
  for (const branch of rule.branches) {
    if (branch.input === 'negative' && nonNegative) continue; // x⁻ = 0: the branch adds nothing
    let input = x;
    if (branch.input === 'positive' && !nonNegative) input = b.op('Relu', [x]);
    if (branch.input === 'negative') input = b.op('Min', [x, b.scalar(0)]);
    f.setShape(input, f.shapes.get(x)!, x);
    const branchParameters = branch.parameters(parameters);
    branches.push({ inputs: [x], modifier: input === x ? undefined : branch.input, parameters: branchParameters });
    if (fromSigns) continue;
    // z⁺'s stabiliser is z + ε (below); with one branch (x never negative) ε joins its bias instead.
    const alone = rule.signSplit && nonNegative && branchParameters.weight;
    const out = map.apply(unit, input, alone ? withEpsilon(branchParameters, f.epsilon) : branchParameters, f);
    if (alone) {
      f.setShape(out, f.shapes.get(unit.outputs[0])!, unit.outputs[0]);
      return { branches, denominator: out, operator };
    }
    z = z ? b.op('Add', [z, out]) : out;
  }
  if (fromSigns) {
    // x⁺w⁺ + x⁻w⁻ = ½(|x||w| + xw) term by term; op(x, W) is the unit's own output less its bias. Summed in
    // this order, where x is 0 the product y − b is exactly 0 and z⁺ + ε exactly b⁺ + ε. (Fewer operators,
    // as ½y + op(|x|, ½|W|) + (b⁺ − ½b + ε), cancel ½b against ½b there and leave a rounding error of
    // |b|'s size instead of ε: zero or negative denominators, non-finite relevance in EfficientNetV2.)
    const { weight, bias } = parameters;
    const magnitude = b.op('Abs', [x]);
    f.setShape(magnitude, f.shapes.get(x)!, x);
    const magnitudes = map.apply(unit, magnitude, { weight: { dims: weight!.dims, data: absolute(weight!.data) } }, f);
    const product = bias ? b.op('Sub', [unit.outputs[0], b.float('bias', broadcastDims(f.shapes.get(unit.outputs[0])!, bias.length, unit), bias)]) : unit.outputs[0];
    z = b.op('Mul', [b.op('Add', [magnitudes, product]), b.scalar(0.5)]);
    const positiveBias = bias && positivePart(bias);
    if (positiveBias?.some((v) => v > 0)) z = b.op('Add', [z, b.float('bias', broadcastDims(f.shapes.get(unit.outputs[0])!, positiveBias.length, unit), positiveBias)]);
  }
  // z⁺ is never negative (x⁺w⁺, x⁻w⁻ and b⁺ are not), so its stabiliser is z + ε: zennit's z + ε·sign(z)
  // with sign(0) = 1, in one operator instead of five.
  const positive = () => {
    const denominator = b.op('Add', [z!, b.scalar(f.epsilon)]);
    f.setShape(denominator, f.shapes.get(unit.outputs[0])!, unit.outputs[0]);
    return denominator;
  };
  const denominator = rule.normaliser !== 'stabilised' ? undefined : rule.signSplit ? positive() : stabilised(z!);
  return { branches, denominator, operator };
}

/** Parameters with ε added to every output's bias: z⁺ + ε from the operator itself. */
function withEpsilon(parameters: Parameters, epsilon: number): Parameters {
  const outputs = parameters.weight!.dims[0];
  return { ...parameters, bias: Float32Array.from({ length: outputs }, (_, c) => (parameters.bias?.[c] ?? 0) + epsilon) };
}

/** A per-channel bias as it broadcasts against the unit's output: [C, 1, 1] for NCHW convolutions, [C] for linear layers. */
function broadcastDims(outputDims: number[], length: number, unit: Unit): number[] {
  if (unit.node.opType === 'Conv') return [length, ...new Array(outputDims.length - 2).fill(1)];
  return [length];
}

/** The positive or negative part of a forward statistic, taken in the relevance graph. */
function modified(r: RelevanceEmitter, tensor: string, modifier: InputModifier): string {
  const x = r.stat(tensor);
  if (modifier === 'positive') return r.builder.op('Relu', [x]);
  // x⁻ = x − x⁺ exactly; onnxruntime's Min against a scalar takes several times as long as Relu and Sub.
  if (modifier === 'negative') return r.builder.op('Sub', [x, r.builder.op('Relu', [x])]);
  return x;
}

/** The relevance side, batched over seeds: relevance at the unit's output → relevance at its inputs. */
export function ruleRelevance(
  rule: Rule,
  map: LinearMap,
  unit: Unit,
  relevance: string,
  stats: RuleStats,
  r: RelevanceEmitter,
): Map<string, string> {
  if (rule.backward === 'identity') return new Map([[unit.inputs[0], relevance]]);
  const b = r.builder;
  const normalised = stats.denominator ? withStat(r, 'Div', relevance, unit.outputs[0], stats.denominator) : relevance;
  const result = new Map<string, string>();
  for (const branch of stats.branches) {
    for (const [input, gradient] of map.transpose(unit, normalised, branch.parameters, stats.operator, r)) {
      const position = unit.inputs.indexOf(input);
      const forwardInput = position >= 0 ? branch.inputs[position] : input;
      const contribution =
        rule.reducer !== 'inputTimesGradient'
          ? gradient
          : branch.modifier
            ? overSeeds(r, gradient, forwardInput, modified(r, forwardInput, branch.modifier), r.shapes.get(forwardInput)!, (rel, x) => b.op('Mul', [x, rel]))
            : withStat(r, 'Mul', gradient, forwardInput, forwardInput, 'statFirst');
      result.set(input, result.has(input) ? b.op('Add', [result.get(input)!, contribution]) : contribution);
    }
  }
  return result;
}
