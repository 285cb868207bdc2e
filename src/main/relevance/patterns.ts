import type { GraphIndex } from '../onnx/graph.ts';
import { scopeComponents } from '../onnx/scopes.ts';
import type { IrGraph } from '../onnx/ir.ts';

/**
 * Graph patterns the composite recognises: SiLU and GELU, squeeze-excitation gates, an output
 * normalisation, attention weights.
 */

export const POOL_OPS = new Set(['GlobalAveragePool', 'AveragePool', 'ReduceMean']);

export function isSigmoidOf(index: GraphIndex, gate: string, x: string): boolean {
  const node = index.producer.get(gate);
  return !!node && node.opType === 'Sigmoid' && node.inputs[0] === x;
}

/** True when `gate` is computed from a pooled copy of `x`: the squeeze-excitation pattern. */
export function isGateOf(index: GraphIndex, gate: string, x: string): boolean {
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
export function isNormOf(index: GraphIndex, norm: string, x: string): boolean {
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
export function isFunctionalCall(graph: IrGraph, node: IrGraph['nodes'][number]): boolean {
  const exportName = (n: { name: string }) => n.name.replace(/^lrp:/, '');
  if (!graph.nodes.some((n) => exportName(n).startsWith('/'))) return false;
  const scope = scopeComponents(exportName(node)).join('/');
  if (!scope) return true;
  return graph.nodes.some(
    (n) => exportName(n) !== exportName(node) && n.opType !== 'Constant' && scopeComponents(exportName(n)).join('/') === scope,
  );
}

const ELEMENTWISE_WITH_CONSTANT = new Set(['Mul', 'Div', 'Add', 'Sub']);
const SATURATING = new Set(['Erf', 'Sigmoid', 'Tanh']);

/**
 * True when `gate` is an elementwise function of `x` alone through a saturating non-linearity: GELU's
 * `x·0.5·(1 + erf(x/√2))`, `x·sigmoid(1.702x)`. The product is then one activation (identity rule).
 */
export function isActivationOf(index: GraphIndex, gate: string, x: string): boolean {
  let tensor = gate;
  let saturating = false;
  for (let hops = 0; hops < 6; hops++) {
    if (tensor === x) return saturating;
    const node = index.producer.get(tensor);
    const computed = node ? index.computedInputs(node) : [];
    if (!node || computed.length !== 1) return false;
    if (SATURATING.has(node.opType)) saturating = true;
    else if (!ELEMENTWISE_WITH_CONSTANT.has(node.opType)) return false;
    tensor = computed[0];
  }
  return false;
}

const WEIGHT_PASSTHROUGH = new Set(['Dropout', 'Identity', 'Cast']);

/** True when `weights` is a Softmax's output (through dropout or casts): attention weights. */
export function isSoftmaxOutput(index: GraphIndex, weights: string): boolean {
  let node = index.producer.get(weights);
  while (node && WEIGHT_PASSTHROUGH.has(node.opType)) node = index.producer.get(node.inputs[0]);
  return node?.opType === 'Softmax';
}

/** True when a ReduceMean averages the spatial axes (2, 3) of an NCHW tensor: pooling, not a token mean. */
export function isSpatialMean(index: GraphIndex, node: IrGraph['nodes'][number], rank: number | undefined): boolean {
  const attribute = node.attributes.axes;
  const axes =
    attribute?.kind === 'ints' ? attribute.value : node.inputs[1] ? Array.from(index.constant(node.inputs[1])?.data ?? [], Number) : [];
  const normalised = axes.map((a) => (a < 0 && rank ? a + rank : a)).sort();
  return rank === 4 && normalised.join() === '2,3';
}
