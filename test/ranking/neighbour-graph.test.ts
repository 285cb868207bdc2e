import { describe, expect, it } from 'vitest';
import { GRAPH_K, updateNeighbourGraph } from '../../src/main/ranking/neighbour-graph.ts';
import { Workbench } from '../../src/main/workbench.ts';
import { tempFolder } from '../catalog/helpers.ts';
import { cosine, fillSynthetic, type SyntheticAnnotation } from '../fixtures/synthetic-catalog.ts';

const key = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`);

/** The union of every annotation's exact k nearest (by brute force): what the graph must hold. */
function bruteForceGraph(annotations: SyntheticAnnotation[], k: number): Set<string> {
  const edges = new Set<string>();
  for (const query of annotations) {
    const ranked = annotations
      .filter((other) => other.id !== query.id)
      .map((other) => ({ id: other.id, similarity: cosine(query.vector, other.vector) }))
      .sort((x, y) => y.similarity - x.similarity)
      .slice(0, k);
    for (const neighbour of ranked) edges.add(key(query.id, neighbour.id));
  }
  return edges;
}

function storedGraph(workbench: Workbench, modelId: number): Set<string> {
  const edges = workbench.store.neighbours.edges(modelId);
  return new Set(Array.from(edges.a, (a, i) => key(a, edges.b[i])));
}

describe('the neighbour graph', () => {
  it('holds every annotation’s exact k nearest, and grows with new vectors without a rebuild', async () => {
    const workbench = Workbench.init(tempFolder());
    const first = fillSynthetic(workbench.store, { count: 150, dim: 16, seed: 3, model: 'm' });
    const built = await updateNeighbourGraph(workbench.store, first.model, 8);
    expect(built).toMatchObject({ searched: 150, k: 8 });
    expect(storedGraph(workbench, first.model.id)).toEqual(bruteForceGraph(first.annotations, 8));
    expect((await updateNeighbourGraph(workbench.store, first.model, 8)).searched).toBe(0);

    const second = fillSynthetic(workbench.store, { count: 40, dim: 16, seed: 4, model: 'm' });
    const grown = await updateNeighbourGraph(workbench.store, first.model, 8);
    expect(grown.searched).toBe(40); // only the new vectors' lists are searched
    const stored = storedGraph(workbench, first.model.id);
    for (const edge of bruteForceGraph([...first.annotations, ...second.annotations], 8))
      expect(stored.has(edge)).toBe(true);
    // What stays beyond the exact union are old lists' edges that new vectors pushed down.
    expect(stored.size).toBeLessThan(bruteForceGraph(first.annotations, 8).size + 40 * 8 * 2);
    workbench.close();
  });

  it('widens on demand: a larger k searches the narrow lists again', async () => {
    const workbench = Workbench.init(tempFolder());
    const { model, annotations } = fillSynthetic(workbench.store, { count: 60, dim: 8, seed: 5, model: 'm' });
    await updateNeighbourGraph(workbench.store, model, 4);
    const version = workbench.store.neighbours.version(model.id);
    expect((await updateNeighbourGraph(workbench.store, model, 12)).searched).toBe(60);
    expect(workbench.store.neighbours.version(model.id)).toBeGreaterThan(version);
    expect(storedGraph(workbench, model.id)).toEqual(bruteForceGraph(annotations, 12));
    expect(GRAPH_K).toBeGreaterThan(12);
    workbench.close();
  });
});
