import type { IrGraph } from './ir.ts';
import { PairxError } from '../errors.ts';

/**
 * Module scopes of a PyTorch export. Since PyTorch 1.13 the exporter names nodes by module path:
 * module `backbone.features.4` gives the node-name prefix `/backbone/features/features.4/` (children of a
 * Sequential or ModuleList are named `parent.index`). A module's output is the first output of the last
 * node inside its scope, which is what the reference's `list_layer_keys` offers as layers.
 */
export interface LayerScope {
  /** The module path, e.g. `layer3` or `backbone.features.4`. */
  key: string;
  /** The tensor holding the module's output. */
  tensor: string;
  /** Nesting depth: 1 for top-level modules. */
  depth: number;
}

export function scopeComponents(nodeName: string): string[] {
  if (!nodeName.startsWith('/')) return [];
  const parts = nodeName.split('/').filter(Boolean);
  return parts.slice(0, -1); // the last part names the operator, not a module
}

export function moduleKey(components: string[]): string {
  const key: string[] = [];
  components.forEach((component, i) => {
    const parent = components[i - 1];
    key.push(parent && component.startsWith(`${parent}.`) ? component.slice(parent.length + 1) : component);
  });
  return key.join('.');
}

export function moduleScopes(graph: IrGraph): LayerScope[] {
  const byKey = new Map<string, LayerScope>();
  for (const node of graph.nodes) {
    const components = scopeComponents(node.name);
    for (let depth = 1; depth <= components.length; depth++) {
      const key = moduleKey(components.slice(0, depth));
      const tensor = node.outputs[0];
      const existing = byKey.get(key);
      if (existing) existing.tensor = tensor;
      else byKey.set(key, { key, tensor, depth });
    }
  }
  return [...byKey.values()];
}

export class UnknownLayerError extends PairxError {
  constructor(message: string) {
    super('invalid-arguments', message);
  }
}

/** A layer given as a module key or as a tensor name, resolved to its tensor. */
export function resolveLayer(graph: IrGraph, layer: string): { key: string; tensor: string } {
  const scopes = moduleScopes(graph);
  const scope = scopes.find((s) => s.key === layer);
  if (scope) return { key: scope.key, tensor: scope.tensor };
  if (graph.nodes.some((n) => n.outputs.includes(layer))) {
    const owner = scopes.filter((s) => s.tensor === layer).sort((a, b) => a.depth - b.depth)[0];
    return { key: owner?.key ?? layer, tensor: layer };
  }
  const valid = scopes.map((s) => s.key);
  const shown = valid.length > 40 ? [...valid.slice(0, 40), `… ${valid.length - 40} more (see 'pairx layers')`] : valid;
  throw new UnknownLayerError(`the model has no layer '${layer}'; valid layers: ${shown.join(', ')}`);
}
