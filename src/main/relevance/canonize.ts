import { GraphIndex } from '../onnx/graph.ts';
import { scopeComponents } from '../onnx/scopes.ts';
import { DataType, attrFloat, describeNode, type IrGraph, type IrModel, type IrNode, type IrTensor } from '../onnx/ir.ts';
import type { Unit } from './units.ts';

/**
 * Canonisation, as zennit's canonizers do for PyTorch modules: rewrite the graph into a form where one
 * rule per unit applies. Batch norm after a convolution is folded into it (graph rewrite); linear layers
 * exported as MatMul+Add, SiLU (`x·sigmoid(x)`), squeeze-excitation gates, residual sums and an output
 * normalisation are recognised as units of their own.
 */

export interface CanonicalModel {
  /** The original forward graph plus, where they differ, the canonised copy the relevance rules read. */
  model: IrModel;
  /** The name of a forward tensor in the canonised copy the rules apply to. */
  relevanceName(tensor: string): string;
  /** For tensors of the canonised copy: the original tensor of the same shape. */
  shapeAlias: Map<string, string>;
  index: GraphIndex;
  units: Unit[];
  /** The unit producing each tensor. */
  unitByOutput: Map<string, Unit>;
}

const PASS_ACTIVATIONS = new Set([
  'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Clip', 'HardSigmoid', 'HardSwish', 'Gelu', 'Elu', 'Selu', 'Softplus',
  'PRelu', 'Mish', 'Celu', 'ThresholdedRelu',
]);
const STRUCTURE_OPS = new Set([
  'Flatten', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout', 'Concat', 'Split', 'Slice', 'Pad',
]);
const POOL_OPS = new Set(['GlobalAveragePool', 'AveragePool', 'ReduceMean']);
const CONSTANT_ARITHMETIC = new Set(['Mul', 'Div', 'Add', 'Sub']);

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

function isSigmoidOf(index: GraphIndex, gate: string, x: string): boolean {
  const node = index.producer.get(gate);
  return !!node && node.opType === 'Sigmoid' && node.inputs[0] === x;
}

/** True when `gate` is computed from a pooled copy of `x`: the squeeze-excitation pattern. */
function isGateOf(index: GraphIndex, gate: string, x: string): boolean {
  const seen = new Set<string>();
  const stack = [gate];
  let pooled = false;
  while (stack.length) {
    const tensor = stack.pop()!;
    if (tensor === x) return false; // g depends on x other than through the pooled branch
    if (seen.has(tensor)) continue;
    seen.add(tensor);
    const node = index.producer.get(tensor);
    if (!node) continue;
    if ((POOL_OPS.has(node.opType) || node.opType === 'GlobalMaxPool') && node.inputs[0] === x) {
      pooled = true;
      continue;
    }
    for (const input of index.computedInputs(node)) stack.push(input);
  }
  return pooled;
}

/** True when `norm` is the L2 norm of `x` (ReduceL2, possibly clamped or expanded, as F.normalize exports). */
function isNormOf(index: GraphIndex, norm: string, x: string): boolean {
  let node = index.producer.get(norm);
  for (let hops = 0; node && hops < 4; hops++) {
    if (node.opType === 'ReduceL2' && node.inputs[0] === x) return true;
    if (!['Clip', 'Max', 'Expand', 'Add'].includes(node.opType)) return false;
    node = index.producer.get(index.computedInputs(node)[0]);
  }
  return false;
}

/**
 * True when a PyTorch export shows that the node was a function call inside another module's forward
 * (its scope holds other nodes too, or no scope at all) rather than a module of its own. zennit's rules
 * attach to modules, so the reference treats such calls with the plain gradient. Graphs without scope
 * names (other exporters) count every node as a module.
 */
function isFunctionalCall(graph: IrGraph, node: IrNode): boolean {
  const exportName = (n: IrNode) => n.name.replace(/^lrp:/, '');
  if (!graph.nodes.some((n) => exportName(n).startsWith('/'))) return false;
  const scope = scopeComponents(exportName(node)).join('/');
  if (!scope) return true;
  return graph.nodes.some(
    (n) => exportName(n) !== exportName(node) && n.opType !== 'Constant' && scopeComponents(exportName(n)).join('/') === scope,
  );
}

export interface CanonizeOptions {
  /** ε assumed for batch norms the exporter already folded (PyTorch's default); 0 turns the emulation off. */
  batchNormEpsilon?: number;
}

export function canonize(input: IrModel, options: CanonizeOptions = {}): CanonicalModel {
  const folded = foldBatchNorm(input);
  const { model, rename, copied, shapeAlias } = withMergedBatchNormScale(input, folded.model, folded.epsilonByConv, options.batchNormEpsilon ?? 1e-5);
  const graph: IrGraph = model.graph;
  const index = new GraphIndex(graph);
  const units: Unit[] = [];
  const absorbed = new Set<IrNode>();
  const originalNodes = new Set(copied ? input.graph.nodes : []);

  for (const node of graph.nodes) {
    if (originalNodes.has(node)) continue; // the rules apply to the canonised copy only
    if (absorbed.has(node) || node.opType === 'Constant') continue;
    const computed = index.computedInputs(node);
    if (computed.length === 0) continue; // constant subgraphs carry no relevance
    const output = node.outputs[0];
    const op = node.opType;

    if (op === 'Conv') {
      if (!index.isConstant(node.inputs[1])) {
        units.push({ kind: 'unsupported', node, inputs: computed, outputs: node.outputs, reason: 'its weight is not a constant' });
        continue;
      }
      units.push({ kind: 'conv', node, inputs: [node.inputs[0]], outputs: [output] });
    } else if (op === 'Gemm') {
      units.push({ kind: 'linear', node, inputs: [node.inputs[0]], outputs: [output], bias: node.inputs[2] });
    } else if (op === 'MatMul' && computed.length === 1 && computed[0] === node.inputs[0]) {
      // MatMul with a constant weight; a following Add of a constant is its bias (nn.Linear's export).
      const consumers = index.consumers.get(output) ?? [];
      const add = consumers.length === 1 ? consumers[0] : undefined;
      const biasInput = add && add.opType === 'Add' ? add.inputs.find((t) => t !== output) : undefined;
      if (add && biasInput && index.isConstant(biasInput)) {
        absorbed.add(add);
        units.push({ kind: 'linear', node, inputs: [node.inputs[0]], outputs: [add.outputs[0]], bias: biasInput, biasNode: add });
      } else {
        units.push({ kind: 'linear', node, inputs: [node.inputs[0]], outputs: [output] });
      }
    } else if (op === 'Mul' && computed.length === 2) {
      const [a, b] = node.inputs;
      if (isSigmoidOf(index, b, a)) units.push({ kind: 'pass', node, inputs: [a], outputs: [output] });
      else if (isSigmoidOf(index, a, b)) units.push({ kind: 'pass', node, inputs: [b], outputs: [output] });
      else if (isGateOf(index, b, a)) units.push({ kind: 'gate', node, inputs: [a], outputs: [output] });
      else if (isGateOf(index, a, b)) units.push({ kind: 'gate', node, inputs: [b], outputs: [output] });
      else units.push({ kind: 'unsupported', node, inputs: computed, outputs: node.outputs, reason: 'a product of two computed tensors that is neither SiLU nor a squeeze-excitation gate' });
    } else if (op === 'Div' && computed.length === 2 && isNormOf(index, node.inputs[1], node.inputs[0])) {
      units.push({ kind: 'pass', node, inputs: [node.inputs[0]], outputs: [output] });
    } else if (op === 'Add' && computed.length === 2) {
      units.push({ kind: 'sum', node, inputs: [node.inputs[0], node.inputs[1]], outputs: [output] });
    } else if (op === 'Mul' && node.name.endsWith('/batch_norm_identity')) {
      units.push({ kind: 'pass', node, inputs: computed, outputs: [output] }); // BatchNorm: pass
    } else if (CONSTANT_ARITHMETIC.has(op) && computed.length === 1) {
      if ((op === 'Div' || op === 'Sub') && computed[0] !== node.inputs[0]) {
        units.push({ kind: 'unsupported', node, inputs: computed, outputs: node.outputs, reason: 'the computed tensor is the divisor or subtrahend' });
      } else {
        units.push({ kind: 'pass', node, inputs: computed, outputs: [output] });
      }
    } else if (PASS_ACTIVATIONS.has(op) || op === 'BatchNormalization') {
      units.push({ kind: 'pass', node, inputs: [node.inputs[0]], outputs: [output] });
    } else if (op === 'Pow' && index.isConstant(node.inputs[1])) {
      units.push({ kind: 'pass', node, inputs: [node.inputs[0]], outputs: [output] });
    } else if (POOL_OPS.has(op)) {
      const kind = isFunctionalCall(graph, node) ? 'meanGradient' : 'avgpool';
      units.push({ kind, node, inputs: [node.inputs[0]], outputs: [output] });
    } else if (op === 'MaxPool' || op === 'GlobalMaxPool') {
      units.push({ kind: 'maxpool', node, inputs: [node.inputs[0]], outputs: [output] });
    } else if (STRUCTURE_OPS.has(op)) {
      const dataInputs = op === 'Concat' ? computed : [node.inputs[0]];
      units.push({ kind: 'structure', node, inputs: dataInputs, outputs: node.outputs.filter(Boolean) });
    } else {
      units.push({ kind: 'unsupported', node, inputs: computed, outputs: node.outputs, reason: 'no LRP rule covers this operator' });
    }
  }

  const unitByOutput = new Map<string, Unit>();
  for (const unit of units) for (const output of unit.outputs) unitByOutput.set(output, unit);
  return { model, relevanceName: rename, shapeAlias, index, units, unitByOutput };
}

export function unitLabel(unit: Unit): string {
  return describeNode(unit.node);
}

