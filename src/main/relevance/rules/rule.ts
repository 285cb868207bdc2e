import type { GraphBuilder } from '../../onnx/builder.ts';
import type { GraphIndex } from '../../onnx/graph.ts';
import type { Unit, UnitKind } from '../units.ts';

/** What a rule sees while it emits nodes (see compiler.ts). */
export interface RuleContext {
  index: GraphIndex;
  /** Static shapes of batch-1 tensors of the canonical graph and of every stat emitted so far. */
  shapes: Map<string, number[]>;
  epsilon: number;
  /** True when a tensor can never be negative (the output of a ReLU, say): the x⁻ half of z⁺ is then 0. */
  nonNegative(tensor: string): boolean;
}

/** The per-image side of a rule: nodes added to the forward graph, run once per image. */
export interface ForwardEmitter extends RuleContext {
  builder: GraphBuilder;
  /** Records the static batch-1 shape of a tensor the rule created. */
  setShape(tensor: string, dims: number[]): void;
}

/** The relevance side: nodes of the relevance graph, batched over seeds. */
export interface RelevanceEmitter extends RuleContext {
  builder: GraphBuilder;
  /** Declares a forward tensor (a stat) as an input of the relevance graph and returns its name there. */
  stat(tensor: string): string;
  /** The relevance that has reached a tensor so far (for operators with several outputs). */
  relevanceOf(tensor: string): string | undefined;
}

/**
 * A rule in zennit's sense: how relevance passes one unit. `stats` computes, once per image, what the
 * relevance step needs from the forward pass (denominators, positive and negative inputs); `relevance`
 * maps the relevance at the unit's output to relevance at each of its inputs (null: none flows there).
 */
export interface Rule<K extends UnitKind = UnitKind, S = unknown> {
  name: string;
  stats(unit: Extract<Unit, { kind: K }>, forward: ForwardEmitter): S;
  relevance(
    unit: Extract<Unit, { kind: K }>,
    relevance: string,
    stats: S,
    backward: RelevanceEmitter,
  ): Map<string, string>;
}
