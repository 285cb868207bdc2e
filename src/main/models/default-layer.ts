import type { IrGraph } from '../onnx/ir.ts';
import { scopeComponents, type LayerScope } from '../onnx/scopes.ts';
import type { Grid, LayerLayout } from './layer-layout.ts';

/**
 * Which layer PAIR-X explains when neither the user nor the card names one, and which to suggest when
 * an explanation at some layer is not faithful. Module paths are read relative to the model's wrapper
 * (`backbone.` of a re-ID model around an ImageNet network, `model.backbone.` of two wrappers), so that
 * a wrapped network gets the layer it would get alone.
 */

export interface LayerCandidate extends LayerScope {
  shape: number[];
  layout?: LayerLayout;
  grid?: Grid;
}

/** Modules named like the children of a list (`blocks.7`, `encoder_layer_7`, `features.13`): parent and index. */
const LIST_CHILD = /^(.*)[._](\d+)$/;
/** Share of the network's nodes a module must hold to count as a wrapper's one content. */
const WRAPPED_SHARE = 0.75;

/**
 * How many leading module levels only wrap the network: from the top, while one module holds most of
 * the graph's nodes and is not itself a list of blocks (`features`, `blocks`, `layers`: their children
 * are the network's blocks, whose insides the depth limit keeps out), descend into it.
 */
export function wrapperDepth(graph: IrGraph): number {
  const paths = graph.nodes.filter((n) => n.opType !== 'Constant').map((n) => scopeComponents(n.name));
  let depth = 0;
  for (;;) {
    const inside = paths.filter((p) => p.length > depth + 1); // nodes inside some child module at this level
    if (inside.length === 0) return depth;
    const counts = new Map<string, number>();
    for (const p of inside) counts.set(p[depth], (counts.get(p[depth]) ?? 0) + 1);
    const [top, count] = [...counts].sort((a, b) => b[1] - a[1])[0];
    if (count < WRAPPED_SHARE * inside.length) return depth;
    const children = new Set(inside.filter((p) => p[depth] === top && p.length > depth + 2).map((p) => p[depth + 1]));
    if (children.size > 1 && [...children].every((child) => LIST_CHILD.test(child))) return depth;
    depth++;
  }
}

interface Choice {
  /** The layers the rule chose among, in graph order. */
  candidates: LayerCandidate[];
  chosen?: LayerCandidate;
}

/**
 * The rule (README, "Default layer"): a transformer that keeps one token grid through a list of blocks
 * gets the block at two thirds of the depth — never the last, whose patch tokens a class-token embedding
 * ignores. Otherwise, among stages and blocks (at most 2 levels below the wrapper, the shallowest name for
 * a tensor) whose output is a feature map with at least 1/16 of the input's rows (14×14 at 224 px), the
 * deepest: for CNNs, Swin (its third stage) and ConvNeXt the last one before the grid gets too coarse.
 */
function choose(layers: LayerCandidate[], graph: IrGraph, inputHeight: number): Choice {
  const base = wrapperDepth(graph);
  const near = (layer: LayerCandidate) => layer.depth - base <= 3;
  const fineGrid = (layer: LayerCandidate) => !!layer.grid && layer.grid.height * 16 >= inputHeight;
  const producedAt = new Map<string, number>();
  graph.nodes.forEach((node, i) => node.outputs.forEach((o) => producedAt.set(o, i)));
  const inOrder = (list: LayerCandidate[]) => [...list].sort((a, b) => (producedAt.get(a.tensor) ?? 0) - (producedAt.get(b.tensor) ?? 0));

  // Siblings of a list counted in full: the last block shares its tensor with the list itself.
  const parents = new Map<string, LayerCandidate[]>();
  for (const layer of layers) {
    if (layer.layout?.layout !== 'tokens' || !near(layer) || !fineGrid(layer) || !LIST_CHILD.test(layer.key)) continue;
    const parent = LIST_CHILD.exec(layer.key)![1];
    parents.set(parent, [...(parents.get(parent) ?? []), layer]);
  }
  const blocks = [...parents.entries()].sort((a, b) => b[1].length - a[1].length || a[0].split('.').length - b[0].split('.').length)[0]?.[1];
  if (blocks && blocks.length >= 2) {
    const ordered = inOrder(blocks);
    const index = Math.min(Math.ceil((2 * ordered.length) / 3) - 1, ordered.length - 2);
    return { candidates: ordered, chosen: ordered[index] };
  }

  // Stages and blocks (two levels below the wrapper: `layer3`, `features.13`, `stages.2`) rather than
  // what is inside a block (ResNet-50's `layer4.0.relu` is still 14×14 before the block's strided
  // convolution); deeper modules only where no stage or block has a feature map.
  const spatialWithin = (levels: number) => {
    const byTensor = new Map<string, LayerCandidate>();
    for (const layer of layers) {
      if (!layer.grid || layer.depth - base > levels || layer.grid.height <= 1) continue;
      const known = byTensor.get(layer.tensor);
      if (!known || layer.depth < known.depth) byTensor.set(layer.tensor, layer);
    }
    return inOrder([...byTensor.values()]);
  };
  const blocksAndStages = spatialWithin(2);
  const spatial = blocksAndStages.length > 0 ? blocksAndStages : spatialWithin(3);
  const fine = spatial.filter(fineGrid);
  return { candidates: spatial, chosen: fine.at(-1) ?? spatial.at(-1) };
}

export function defaultLayerOf(layers: LayerCandidate[], graph: IrGraph, inputHeight: number): string {
  return choose(layers, graph, inputHeight).chosen?.key ?? '';
}

/**
 * A layer to try where the explanation at `key` is not faithful: the default layer if `key` is another,
 * else the candidate before the default (a shallower block or stage, whose relevance passes through fewer
 * operators).
 */
export function alternativeLayerOf(layers: LayerCandidate[], graph: IrGraph, inputHeight: number, key: string, defaultLayer: string): string | undefined {
  if (key !== defaultLayer && defaultLayer) return defaultLayer;
  const { candidates } = choose(layers, graph, inputHeight);
  // Candidates carry the shallowest name of their tensor (`features` for the output of `features.3`).
  const tensor = layers.find((l) => l.key === key)?.tensor;
  const at = candidates.findIndex((c) => c.key === key || c.tensor === tensor);
  return at > 0 ? candidates[at - 1].key : undefined;
}
