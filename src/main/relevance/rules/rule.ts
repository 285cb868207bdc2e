import type { GraphBuilder } from '../../onnx/builder.ts';
import type { GraphIndex } from '../../onnx/graph.ts';
import type { Unit } from '../units.ts';
import type { BatchLayout } from '../../onnx/shapes.ts';

/** What a rule sees while it emits nodes (see compiler.ts). */
export interface RuleContext {
  index: GraphIndex;
  /** Static shapes of batch-1 tensors of the canonical graph and of every stat emitted so far. */
  shapes: Map<string, number[]>;
  epsilon: number;
  /** True when a tensor can never be negative (the output of a ReLU, say): the x⁻ half of z⁺ is then 0. */
  nonNegative(tensor: string): boolean;
  /**
   * Where a forward tensor holds the batch (axis 0 unless the export moved it, as attention does with
   * [tokens, batch, C], or folded it with tokens, heads or windows); its relevance carries the seeds there.
   */
  batchLayout(tensor: string): BatchLayout;
}

/** The per-image side of a rule: nodes added to the forward graph, run once per image. */
export interface ForwardEmitter extends RuleContext {
  builder: GraphBuilder;
  /** Records the static batch-1 shape of a tensor the rule created (and, with `like`, that it is laid out as that tensor). */
  setShape(tensor: string, dims: number[], like?: string): void;
}

/** The relevance side: nodes of the relevance graph, batched over seeds. */
export interface RelevanceEmitter extends RuleContext {
  builder: GraphBuilder;
  /** Declares a forward tensor (a stat) as an input of the relevance graph and returns its name there. */
  stat(tensor: string): string;
  /** The relevance that has reached a tensor so far (for operators with several outputs). */
  relevanceOf(tensor: string): string | undefined;
}

/** A unit's constant parameters, as the parameter modifiers see them. */
export interface Parameters {
  weight?: { dims: number[]; data: Float32Array };
  bias?: Float32Array;
}

/**
 * The linear map a unit computes once the rules' forward-side quantities (σ of a layer norm, attention
 * weights, pooling indices) are held at their forward values: what the generic rule needs from an
 * operator. `transpose` is its vector-Jacobian product, the gradient of zennit's hooks.
 */
export interface LinearMap<U extends Unit = Unit, S = unknown> {
  /** Constant parameters of the unit, for the rules' parameter modifiers (weight, bias). */
  parameters?(unit: U, ctx: RuleContext): Parameters;
  /** The operator applied to `input` with `parameters`: a forward branch of a modified rule. */
  apply?(unit: U, input: string, parameters: Parameters, forward: ForwardEmitter): string;
  /** Forward statistics the transpose reads (max-pooling indices, σ, attention weights). */
  stats?(unit: U, forward: ForwardEmitter): S;
  /** The transpose applied to `incoming` (shaped like the unit's output), per computed input of the unit. */
  transpose(unit: U, incoming: string, parameters: Parameters, stats: S, backward: RelevanceEmitter): Map<string, string>;
}

/** zennit's input modifiers: the input as it is, or its positive or negative part. */
export type InputModifier = 'identity' | 'positive' | 'negative';

/** One forward branch of a rule: z = Σ over branches of the operator on modified inputs and parameters. */
export interface Branch {
  input: InputModifier;
  parameters: (p: Parameters) => Parameters;
}

/**
 * A rule in zennit's sense, as configuration of one generic mechanism (rules/hook.ts, zennit's
 * `BasicHook`): relevance R at the output becomes, at each input,
 * `reduce(x_k, transpose_k(normalise(R, z)))` summed over the branches k.
 */
export interface Rule {
  name: string;
  /** Input and parameter modifiers; absent: one branch with the unit as it is (z is its own output). */
  branches?: Branch[];
  /**
   * The branches are z⁺'s (x⁺ with W⁺ and b⁺, x⁻ with W⁻) of a bilinear operator, whose sum is
   * ½(op(|x|, |W|) + op(x, W)) + b⁺: z then costs one run of the operator besides the unit's own output
   * (op(x, W) + b) instead of two.
   */
  signSplit?: boolean;
  /** `stabilised`: R/stab(z) (the ε, z⁺ and norm rules); `none`: R as it is. */
  normaliser: 'stabilised' | 'none';
  /** `inputTimesGradient`: x_k·g_k; `gradient`: g_k. */
  reducer: 'inputTimesGradient' | 'gradient';
  /** `operator`: the transpose of the unit's linear map; `identity`: relevance passes on unchanged (zennit `Pass`). */
  backward: 'operator' | 'identity';
}
