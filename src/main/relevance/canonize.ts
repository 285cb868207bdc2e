import { GraphIndex } from '../onnx/graph.ts';
import { DataType, attrFloat, type IrGraph, type IrModel, type IrNode, type IrTensor } from '../onnx/ir.ts';
import { assignUnits, epsilonPlus, type Composite } from './composite.ts';
import { splitFusedProjections } from './fused-projection.ts';
import { isGateOf, POOL_OPS } from './patterns.ts';
import type { Unit } from './units.ts';

/**
 * Canonisation, as zennit's canonizers do for PyTorch modules, is the one place that rewrites the graph
 * into a form where one rule per unit applies: attention's fused q/k/v projection is split into three
 * (fused-projection.ts), batch norm after a convolution is folded into it, and the relevance passes
 * read a copy that keeps the reference's merged batch-norm scale. Which rule
 * applies to which node is the composite's business (composite.ts).
 */

export interface CanonicalModel {
  /** The original forward graph plus, where they differ, the canonised copy the relevance rules read. */
  model: IrModel;
  /** The name of a forward tensor in the canonised copy the rules apply to. */
  relevanceName(tensor: string): string;
  /** For tensors of the canonised copy: the original tensor of the same shape. */
  shapeAlias: Map<string, string>;
  /** Batch-1 shapes of the tensors canonisation created (split projections). */
  shapes: Map<string, number[]>;
  /** For tensors canonisation created: an original tensor that holds the batch the same way. */
  layoutOf: Map<string, string>;
  index: GraphIndex;
  units: Unit[];
  /** The unit producing each tensor. */
  unitByOutput: Map<string, Unit>;
  /** The composite that made the units; its rules compile them. */
  composite: Composite;
}

/** Folds `BatchNormalization` that directly follows a `Conv` (and is its only consumer) into the conv. */
export function foldBatchNorm(model: IrModel): { model: IrModel; epsilonByConv: Map<string, number> } {
  const epsilonByConv = new Map<string, number>();
  const graph = model.graph;
  const index = new GraphIndex(graph);
  const initializers = new Map(graph.initializers);
  const removed = new Set<IrNode>();
  const replaced = new Map<IrNode, IrNode>();
  for (const bn of graph.nodes) {
    if (bn.opType !== 'BatchNormalization') continue;
    const conv = index.producer.get(bn.inputs[0]);
    if (!conv || conv.opType !== 'Conv' || (index.consumers.get(conv.outputs[0]) ?? []).length !== 1) continue;
    if (!index.isConstant(conv.inputs[1]) || bn.inputs.slice(1, 5).some((t) => !index.isConstant(t))) continue;
    const [gamma, beta, mean, variance] = bn.inputs.slice(1, 5).map((t) => index.floatConstant(t, bn));
    const epsilon = attrFloat(bn, 'epsilon', 1e-5);
    const weight = index.constant(conv.inputs[1])!;
    const outChannels = weight.dims[0];
    const perChannel = weight.data.length / outChannels;
    const oldBias = conv.inputs[2] ? index.floatConstant(conv.inputs[2], conv) : new Float32Array(outChannels);
    const newWeight = new Float32Array(weight.data.length);
    const newBias = new Float32Array(outChannels);
    const w = weight.data as Float32Array;
    for (let o = 0; o < outChannels; o++) {
      const scale = gamma[o] / Math.sqrt(variance[o] + epsilon);
      for (let j = 0; j < perChannel; j++) newWeight[o * perChannel + j] = w[o * perChannel + j] * scale;
      newBias[o] = (oldBias[o] - mean[o]) * scale + beta[o];
    }
    const weightName = `${conv.name}/folded_weight`;
    const biasName = `${conv.name}/folded_bias`;
    initializers.set(weightName, { ...weight, name: weightName, data: newWeight } as IrTensor);
    initializers.set(biasName, { name: biasName, dataType: weight.dataType, dims: [outChannels], data: newBias });
    replaced.set(conv, { ...conv, inputs: [conv.inputs[0], weightName, biasName], outputs: [bn.outputs[0]] });
    epsilonByConv.set(conv.name, epsilon);
    removed.add(bn);
  }
  if (removed.size === 0) return { model, epsilonByConv };
  const nodes = graph.nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);
  return { model: { ...model, graph: { ...graph, nodes, initializers } }, epsilonByConv };
}

/** Convolutions inside squeeze-excitation gate branches (between the pooling and the gating product). */
function gateBranchConvs(index: GraphIndex): Set<IrNode> {
  const convs = new Set<IrNode>();
  for (const node of index.graph.nodes) {
    if (node.opType !== 'Mul' || index.computedInputs(node).length !== 2) continue;
    const [a, b] = node.inputs;
    const gate = isGateOf(index, b, a) ? b : isGateOf(index, a, b) ? a : undefined;
    if (!gate) continue;
    const stack = [gate];
    while (stack.length) {
      const producer = index.producer.get(stack.pop()!);
      if (!producer || POOL_OPS.has(producer.opType) || producer.opType === 'GlobalMaxPool') continue;
      if (producer.opType === 'Conv') convs.add(producer);
      stack.push(...index.computedInputs(producer));
    }
  }
  return convs;
}

/**
 * zennit's MergeBatchNorm folds a batch norm into the convolution before it but leaves the batch-norm
 * module in place with mean 0, variance 1 and its ε, so in the reference's relevance passes every
 * such layer still scales its output by 1/√(1+ε). LRP amplifies that 1e-5-sized difference where
 * denominators are near zero, so reproducing the reference needs the same scaling. The relevance
 * passes therefore run on a copy of the graph (tensors renamed `lrp:…`) with that scale after each
 * convolution that had a batch norm: the ones folded here (their own ε), and, since PyTorch's exporter
 * folds batch norms itself, every other convolution outside squeeze-excitation gates (ε = `defaultEpsilon`).
 * Feature maps and embeddings still come from the original graph, as in the reference.
 */
function withMergedBatchNormScale(
  original: IrModel,
  folded: IrModel,
  epsilonByConv: Map<string, number>,
  defaultEpsilon: number,
): { model: IrModel; rename: (tensor: string) => string; copied: boolean; shapeAlias: Map<string, string> } {
  const shapeAlias = new Map<string, string>();
  const index = new GraphIndex(folded.graph);
  const gateConvs = gateBranchConvs(index);
  const epsilonOf = (node: IrNode) =>
    epsilonByConv.get(node.name) ?? (node.opType === 'Conv' && !gateConvs.has(node) ? defaultEpsilon : 0);
  if (!folded.graph.nodes.some((n) => epsilonOf(n) > 0)) return { model: folded, rename: (t) => t, copied: false, shapeAlias };
  const produced = new Set(folded.graph.nodes.flatMap((n) => n.outputs));
  const rename = (t: string) => (produced.has(t) && !index.isConstant(t) ? `lrp:${t}` : t);
  const initializers = new Map([...original.graph.initializers, ...folded.graph.initializers]);
  const copy: IrNode[] = [];
  for (const node of folded.graph.nodes) {
    if (node.outputs.every((t) => index.isConstant(t))) continue; // constants are shared, not copied
    const renamed = { ...node, name: `lrp:${node.name}`, inputs: node.inputs.map(rename), outputs: node.outputs.map(rename) };
    const epsilon = epsilonOf(node);
    if (epsilon > 0) {
      const scaleName = `lrp:bn_scale:${epsilon}`;
      initializers.set(scaleName, { name: scaleName, dataType: DataType.FLOAT, dims: [], data: Float32Array.of(1 / Math.sqrt(1 + epsilon)) });
      const merged = `${renamed.outputs[0]}:merged`;
      shapeAlias.set(merged, node.outputs[0]);
      copy.push({ ...renamed, outputs: [merged, ...renamed.outputs.slice(1)] });
      copy.push({ name: `${renamed.name}/batch_norm_identity`, opType: 'Mul', domain: '', inputs: [merged, scaleName], outputs: [renamed.outputs[0]], attributes: {} });
    } else {
      copy.push(renamed);
    }
  }
  for (const tensor of produced) shapeAlias.set(rename(tensor), tensor);
  const graph = { ...original.graph, nodes: [...original.graph.nodes, ...copy], initializers };
  return { model: { ...original, graph }, rename, copied: true, shapeAlias };
}

export interface CanonizeOptions {
  /** ε assumed for batch norms the exporter already folded (PyTorch's default); 0 turns the emulation off. */
  batchNormEpsilon?: number;
  /** Which rule applies where; zennit's EpsilonPlus with CP-LRP's transformer rules by default. */
  composite?: Composite;
  /** Values of the graph's shape computations at batch 1 (onnx/shapes.ts `probeGraph`). */
  shapeValues?: Map<string, IrTensor>;
  /** Shapes of every tensor at batch 1 (the probe's); with them, fused q/k/v projections are split. */
  shapes?: Map<string, number[]>;
}

export function canonize(original: IrModel, options: CanonizeOptions = {}): CanonicalModel {
  const composite = options.composite ?? epsilonPlus;
  const split = options.shapes
    ? splitFusedProjections(original, options.shapes, options.shapeValues ?? new Map())
    : { model: original, shapes: new Map<string, number[]>(), layoutOf: new Map<string, string>() };
  const input = split.model;
  const folded = foldBatchNorm(input);
  // Transformers and ConvNeXt normalise with layer norms (one operator from opset 17, a Sqrt of a mean
  // below) and attend with softmaxes; their convolutions (patch embeddings) never had a batch norm for the
  // exporter to fold, so the reference's merged-batch-norm scale does not apply.
  const layerNormalised = input.graph.nodes.some((n) => ['LayerNormalization', 'Softmax', 'Sqrt'].includes(n.opType));
  const defaultEpsilon = options.batchNormEpsilon ?? (layerNormalised ? 0 : 1e-5);
  const { model, rename, copied, shapeAlias } = withMergedBatchNormScale(input, folded.model, folded.epsilonByConv, defaultEpsilon);
  const graph: IrGraph = model.graph;
  const index = new GraphIndex(graph, options.shapeValues);
  const originalNodes = new Set(copied ? input.graph.nodes : []); // the rules apply to the canonised copy only
  const units = assignUnits(graph, index, composite, originalNodes);
  const unitByOutput = new Map<string, Unit>();
  for (const unit of units) for (const output of unit.outputs) unitByOutput.set(output, unit);
  return { model, relevanceName: rename, shapeAlias, shapes: split.shapes, layoutOf: split.layoutOf, index, units, unitByOutput, composite };
}

