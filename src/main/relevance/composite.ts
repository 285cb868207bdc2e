import type { GraphIndex } from '../onnx/graph.ts';
import type { IrGraph, IrNode } from '../onnx/ir.ts';
import { isActivationOf, isFunctionalCall, isGateOf, isNormOf, isSigmoidOf, isSoftmaxOutput, isSpatialMean, POOL_OPS } from './patterns.ts';
import type { Unit, UnitKind } from './units.ts';
import type { LinearMap, Rule } from './rules/rule.ts';
import { epsilonRule } from './rules/epsilon.ts';
import { gradientRule } from './rules/gradient.ts';
import { normRule } from './rules/norm.ts';
import { passRule } from './rules/pass.ts';
import { zPlusRule } from './rules/zplus.ts';
import { attentionMap } from './operators/attention.ts';
import { convMap } from './operators/conv.ts';
import { layerNormMap } from './operators/layernorm.ts';
import { linearMap } from './operators/linear.ts';
import { maxPoolMap } from './operators/maxpool.ts';
import { poolMap } from './operators/pool.ts';
import { structureMap } from './operators/structure.ts';
import { sumMap } from './operators/sum.ts';

/**
 * A composite (zennit's term) is the one place that decides which rule applies to which node: an
 * ordered list of matchers, each turning a node (or a pattern around it) into a unit of some kind, and
 * per kind the rule and the operator's linear map it configures. The first matcher that answers wins.
 */
export interface MatchContext {
  index: GraphIndex;
  graph: IrGraph;
  /** The node's inputs computed at run time (constants excluded). */
  computed: string[];
  /** Static batch-1 shapes, where the caller knows them. */
  shapes?: Map<string, number[]>;
  /** Marks a node as part of this unit (a bias Add after its MatMul), so it is no unit of its own. */
  absorb(node: IrNode): void;
}

export type Matcher = (node: IrNode, ctx: MatchContext) => Unit | undefined;

export interface Composite {
  name: string;
  matchers: Matcher[];
  rules: { [K in Exclude<UnitKind, 'unsupported'>]: { rule: Rule; map?: LinearMap<Extract<Unit, { kind: K }>> } };
}

/** zennit's default stabiliser ε. */
export const STABILISER_EPSILON = 1e-6;

const PASS_ACTIVATIONS = new Set([
  'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Clip', 'HardSigmoid', 'HardSwish', 'Gelu', 'Elu', 'Selu', 'Softplus',
  'PRelu', 'Mish', 'Celu', 'ThresholdedRelu', 'BatchNormalization',
]);
const STRUCTURE_OPS = new Set([
  'Flatten', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout', 'Concat', 'Split', 'Slice', 'Pad',
  'Gather', 'Expand', 'Tile',
]);
const CONSTANT_ARITHMETIC = new Set(['Mul', 'Div', 'Add', 'Sub']);

const unsupported = (node: IrNode, ctx: MatchContext, reason: string): Unit => ({
  kind: 'unsupported', node, inputs: ctx.computed, outputs: node.outputs, reason,
});
const single = (kind: 'pass' | 'gate' | 'avgpool' | 'meanGradient' | 'maxpool', node: IrNode, input = node.inputs[0]): Unit => ({
  kind, node, inputs: [input], outputs: [node.outputs[0]],
});

const conv: Matcher = (node, ctx) => {
  if (node.opType !== 'Conv') return undefined;
  if (!ctx.index.isConstant(node.inputs[1])) return unsupported(node, ctx, 'its weight is not a constant');
  return { kind: 'conv', node, inputs: [node.inputs[0]], outputs: [node.outputs[0]] };
};

const gemm: Matcher = (node) =>
  node.opType === 'Gemm' ? { kind: 'linear', node, inputs: [node.inputs[0]], outputs: [node.outputs[0]], bias: node.inputs[2] } : undefined;

/** MatMul with a constant weight; a following Add of a constant is its bias (nn.Linear's export). */
const matMulLinear: Matcher = (node, ctx) => {
  if (node.opType !== 'MatMul' || ctx.computed.length !== 1 || ctx.computed[0] !== node.inputs[0]) return undefined;
  const output = node.outputs[0];
  const consumers = ctx.index.consumers.get(output) ?? [];
  const add = consumers.length === 1 ? consumers[0] : undefined;
  const biasInput = add && add.opType === 'Add' ? add.inputs.find((t) => t !== output) : undefined;
  if (add && biasInput && ctx.index.isConstant(biasInput)) {
    ctx.absorb(add);
    return { kind: 'linear', node, inputs: [node.inputs[0]], outputs: [add.outputs[0]], bias: biasInput, biasNode: add };
  }
  return { kind: 'linear', node, inputs: [node.inputs[0]], outputs: [output] };
};

/** x·sigmoid(x) (SiLU) is one activation; x·g with g pooled from x a squeeze-excitation gate. */
const product: Matcher = (node, ctx) => {
  if (node.opType !== 'Mul' || ctx.computed.length !== 2) return undefined;
  const [a, b] = node.inputs;
  if (isSigmoidOf(ctx.index, b, a)) return single('pass', node, a);
  if (isSigmoidOf(ctx.index, a, b)) return single('pass', node, b);
  if (isActivationOf(ctx.index, b, a)) return single('pass', node, a);
  if (isActivationOf(ctx.index, a, b)) return single('pass', node, b);
  if (isGateOf(ctx.index, b, a)) return single('gate', node, a);
  if (isGateOf(ctx.index, a, b)) return single('gate', node, b);
  return unsupported(node, ctx, 'a product of two computed tensors that is neither SiLU, GELU nor a squeeze-excitation gate');
};

const outputNormalisation: Matcher = (node, ctx) =>
  node.opType === 'Div' && ctx.computed.length === 2 && isNormOf(ctx.index, node.inputs[1], node.inputs[0])
    ? single('pass', node)
    : undefined;

const residualSum: Matcher = (node, ctx) =>
  node.opType === 'Add' && ctx.computed.length === 2
    ? { kind: 'sum', node, inputs: [node.inputs[0], node.inputs[1]], outputs: [node.outputs[0]] }
    : undefined;

/** The batch-norm scale canonisation leaves after a folded convolution (see canonize.ts): pass, as BatchNorm. */
const mergedBatchNorm: Matcher = (node, ctx) =>
  node.opType === 'Mul' && node.name.endsWith('/batch_norm_identity') ? { kind: 'pass', node, inputs: ctx.computed, outputs: [node.outputs[0]] } : undefined;

const constantArithmetic: Matcher = (node, ctx) => {
  if (!CONSTANT_ARITHMETIC.has(node.opType) || ctx.computed.length !== 1) return undefined;
  if ((node.opType === 'Div' || node.opType === 'Sub') && ctx.computed[0] !== node.inputs[0]) {
    return unsupported(node, ctx, 'the computed tensor is the divisor or subtrahend');
  }
  return { kind: 'pass', node, inputs: ctx.computed, outputs: [node.outputs[0]] };
};

const activation: Matcher = (node, ctx) => {
  if (PASS_ACTIVATIONS.has(node.opType)) return single('pass', node);
  if (node.opType === 'Pow' && ctx.index.isConstant(node.inputs[1])) return single('pass', node);
  return undefined;
};

/**
 * zennit's rules attach to modules: a spatial pooling called as a function inside another module gets
 * the gradient. A mean over tokens (the patch-token mean of a ViT embedding) gets the norm rule, as in
 * the CP-LRP reference.
 */
const pooling: Matcher = (node, ctx) => {
  if (node.opType === 'ReduceMean' && !isSpatialMean(ctx.index, node, ctx.shapes?.get(node.inputs[0])?.length ?? 4)) {
    return single('avgpool', node);
  }
  if (POOL_OPS.has(node.opType)) return single(isFunctionalCall(ctx.graph, node) ? 'meanGradient' : 'avgpool', node);
  if (node.opType === 'MaxPool' || node.opType === 'GlobalMaxPool') return single('maxpool', node);
  return undefined;
};

const structure: Matcher = (node, ctx) =>
  STRUCTURE_OPS.has(node.opType)
    ? { kind: 'structure', node, inputs: node.opType === 'Concat' ? ctx.computed : [node.inputs[0]], outputs: node.outputs.filter(Boolean) }
    : undefined;

/** σ held constant (CP-LRP): the ε rule of a linear map. */
const layerNorm: Matcher = (node) =>
  node.opType === 'LayerNormalization' ? { kind: 'layerNorm', node, inputs: [node.inputs[0]], outputs: [node.outputs[0]] } : undefined;

const producerOf = (ctx: MatchContext, tensor: string, opType: string) => {
  const node = ctx.index.producer.get(tensor);
  return node?.opType === opType ? node : undefined;
};
const reduceAxes = (ctx: MatchContext, node: IrNode) => {
  const attribute = node.attributes.axes;
  if (attribute?.kind === 'ints') return attribute.value;
  const input = node.inputs[1] ? ctx.index.constant(node.inputs[1]) : undefined;
  return input ? Array.from(input.data as ArrayLike<number | bigint>, Number) : undefined;
};
const soleConsumer = (ctx: MatchContext, tensor: string, opType: string) => {
  const consumers = ctx.index.consumers.get(tensor) ?? [];
  const next = consumers.length === 1 ? consumers[0] : undefined;
  const constant = next?.opType === opType ? next.inputs.find((t) => t !== tensor) : undefined;
  return next && constant && ctx.index.isConstant(constant) ? { node: next, constant } : undefined;
};

/**
 * The decomposed layer norm of exports below opset 17, recognised at its `Div`:
 * (x − mean(x)) / √(mean((x − mean(x))²) + ε), then `Mul` γ and `Add` β, which the unit takes in.
 */
const decomposedLayerNorm: Matcher = (node, ctx) => {
  if (node.opType !== 'Div' || ctx.computed.length !== 2) return undefined;
  const [centred, deviation] = node.inputs;
  const sub = producerOf(ctx, centred, 'Sub');
  const mean = sub && producerOf(ctx, sub.inputs[1], 'ReduceMean');
  const sqrt = producerOf(ctx, deviation, 'Sqrt');
  const add = sqrt && producerOf(ctx, sqrt.inputs[0], 'Add');
  const variance = add && add.inputs.map((t) => producerOf(ctx, t, 'ReduceMean')).find(Boolean);
  const square = variance && producerOf(ctx, variance.inputs[0], 'Pow');
  if (!sub || !mean || mean.inputs[0] !== sub.inputs[0] || !square || square.inputs[0] !== centred) return undefined;
  const axes = reduceAxes(ctx, mean);
  if (!axes || axes.join() !== reduceAxes(ctx, variance)?.join()) return undefined;
  const scaled = soleConsumer(ctx, node.outputs[0], 'Mul');
  const shifted = scaled && soleConsumer(ctx, scaled.node.outputs[0], 'Add');
  if (scaled) ctx.absorb(scaled.node);
  if (shifted) ctx.absorb(shifted.node);
  const output = (shifted ?? scaled)?.node.outputs[0] ?? node.outputs[0];
  return {
    kind: 'layerNorm',
    node,
    inputs: [sub.inputs[0]],
    outputs: [output],
    decomposed: { deviation, axes, scale: scaled?.constant },
  };
};

/** A·V with A a softmax: A held constant, relevance to V only (CP-LRP). */
const attention: Matcher = (node, ctx) =>
  node.opType === 'MatMul' && ctx.computed.length === 2 && isSoftmaxOutput(ctx.index, node.inputs[0])
    ? { kind: 'attention', node, inputs: [node.inputs[1]], outputs: [node.outputs[0]] }
    : undefined;

const anythingElse: Matcher = (node, ctx) => unsupported(node, ctx, 'no LRP rule covers this operator');

/**
 * zennit's `EpsilonPlus` with the ResNet/EfficientNet canonizers' marks: z⁺ for convolutions, ε for
 * linear layers, norm for residual sums and average pooling, pass for activations, signal-only for
 * squeeze-excitation gates, gradient for max pooling and structure; and CP-LRP's rules for
 * transformers (docs: PAIRX-TRANSFORMERS.md): ε with σ constant for layer norms, ε on V with the
 * attention weights constant, identity for GELU, norm for token means. Queries, keys and whatever else
 * only feeds a softmax are never reached, since attention sends nothing to its weights.
 */
export const epsilonPlus: Composite = {
  name: 'EpsilonPlus',
  matchers: [
    conv, gemm, matMulLinear, attention, product, decomposedLayerNorm, outputNormalisation, residualSum, mergedBatchNorm, constantArithmetic,
    layerNorm, activation, pooling, structure, anythingElse,
  ],
  rules: {
    conv: { rule: zPlusRule, map: convMap },
    linear: { rule: epsilonRule, map: linearMap },
    pass: { rule: passRule },
    gate: { rule: passRule },
    sum: { rule: normRule, map: sumMap },
    avgpool: { rule: normRule, map: poolMap },
    meanGradient: { rule: gradientRule, map: poolMap },
    maxpool: { rule: gradientRule, map: maxPoolMap },
    structure: { rule: gradientRule, map: structureMap },
    layerNorm: { rule: epsilonRule, map: layerNormMap },
    attention: { rule: epsilonRule, map: attentionMap },
  },
};

/** Units of a graph under a composite: every node with a computed input, in graph order. */
export function assignUnits(
  graph: IrGraph,
  index: GraphIndex,
  composite: Composite,
  skip: Set<IrNode>,
  shapes?: Map<string, number[]>,
): Unit[] {
  const units: Unit[] = [];
  const absorbed = new Set<IrNode>();
  for (const node of graph.nodes) {
    if (skip.has(node) || absorbed.has(node) || node.opType === 'Constant') continue;
    const computed = index.computedInputs(node);
    // Constant subgraphs and shape computations (Shape of a computed tensor) carry no relevance.
    if (computed.length === 0 || node.outputs.every((o) => !o || index.isConstant(o))) continue;
    const ctx: MatchContext = { index, graph, computed, shapes, absorb: (n) => absorbed.add(n) };
    for (const matcher of composite.matchers) {
      const unit = matcher(node, ctx);
      if (unit) {
        units.push(unit);
        break;
      }
    }
  }
  return units;
}
