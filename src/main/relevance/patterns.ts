import type { GraphIndex } from '../onnx/graph.ts';
import { scopeComponents } from '../onnx/scopes.ts';
import type { IrGraph } from '../onnx/ir.ts';

/** Graph patterns the composite recognises: SiLU, squeeze-excitation gates, an output normalisation. */

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
