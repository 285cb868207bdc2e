import type { CatalogStore } from '../catalog/store/catalog-store.ts';
import type { ModelRecord } from '../catalog/store/embeddings.ts';
import type { NeighbourList, NewEdge } from '../catalog/store/neighbours.ts';
import { allNearest, nearestIn, normaliseRows } from './all-nearest.ts';

/** Neighbours searched per annotation when the graph is first built; widening doubles it. */
export const GRAPH_K = 24;

export interface GraphUpdate {
  /** Annotations whose lists were searched (new ones, and old ones searched wider). */
  searched: number;
  /** Edges added to the stored graph. */
  added: number;
  /** The k every list now has (fewer where the model has fewer other vectors). */
  k: number;
}

/**
 * Brings the stored neighbour graph of `model` up to date: every embedded annotation's `k` nearest
 * neighbours (exact cosine search) are edges of the graph. Only what is missing is searched: the lists
 * of annotations embedded since the last update, lists narrower than `k` (widening), and, for the old
 * lists, the new vectors that now belong among their k nearest. So adding annotations or widening costs
 * a search of those rows, not a rebuild.
 */
export async function updateNeighbourGraph(
  store: CatalogStore,
  model: ModelRecord,
  k: number = GRAPH_K,
): Promise<GraphUpdate> {
  const found = await searchMissing(store, model, k);
  if (found.searched === 0) return { searched: 0, added: 0, k: found.k };
  const before = store.neighbours.edgeCount(model.id);
  store.transaction(() => store.neighbours.add(model.id, found.edges, found.lists));
  return { searched: found.searched, added: store.neighbours.edgeCount(model.id) - before, k: found.k };
}

export interface MissingEdges {
  edges: NewEdge[];
  lists: Map<number, NeighbourList>;
  searched: number;
  k: number;
}

/** What updateNeighbourGraph would add, without writing (a read-only connection uses it in memory). */
export async function searchMissing(
  store: CatalogStore,
  model: ModelRecord,
  k: number = GRAPH_K,
): Promise<MissingEdges> {
  // The usual case, after a decision: every list is searched deep enough, and no vector need be read.
  const embedded = store.embeddings.count(model.id);
  const deepEnough = Math.max(1, Math.min(k, embedded - 1));
  if (embedded < 2 || store.neighbours.listCount(model.id, deepEnough) === embedded)
    return { edges: [], lists: new Map(), searched: 0, k: deepEnough };
  const { annotationIds, vectors } = store.embeddings.allVectors(model);
  const n = annotationIds.length;
  const want = Math.max(1, Math.min(k, n - 1));
  const none: MissingEdges = { edges: [], lists: new Map(), searched: 0, k: want };
  if (n < 2) return none;
  const lists = store.neighbours.lists(model.id);
  const fresh: number[] = [];
  const narrow: number[] = [];
  const old: number[] = [];
  annotationIds.forEach((id, row) => {
    const list = lists.get(id);
    if (!list) fresh.push(row);
    else {
      old.push(row);
      if (list.k < want) narrow.push(row);
    }
  });
  const search = [...fresh, ...narrow];
  if (search.length === 0) return none;

  const unit = normaliseRows(vectors, model.dim);
  const edges: NewEdge[] = [];
  const newLists = new Map<number, NeighbourList>();
  // Its own row comes back among the nearest, hence one more.
  const nearest = await allNearest(unit, model.dim, want + 1, search);
  search.forEach((row, r) => {
    const query = annotationIds[row];
    let taken = 0;
    let kth = -Infinity;
    for (let j = 0; j < nearest.fetch && taken < want; j++) {
      const other = nearest.indices[r * nearest.fetch + j];
      if (other === row) continue;
      kth = nearest.similarities[r * nearest.fetch + j];
      edges.push({ a: query, b: annotationIds[other], similarity: kth });
      taken++;
    }
    newLists.set(query, { k: want, kthSimilarity: kth });
  });

  // The old lists, unchanged in k, take in the new vectors more similar than their k-th neighbour.
  const settled = old.filter((row) => !newLists.has(annotationIds[row]));
  if (fresh.length > 0 && settled.length > 0) {
    const freshUnit = new Float32Array(fresh.length * model.dim);
    fresh.forEach((row, i) =>
      freshUnit.set(unit.subarray(row * model.dim, (row + 1) * model.dim), i * model.dim),
    );
    const queries = new Float32Array(settled.length * model.dim);
    settled.forEach((row, i) =>
      queries.set(unit.subarray(row * model.dim, (row + 1) * model.dim), i * model.dim),
    );
    const reverse = await nearestIn(freshUnit, model.dim, want, queries);
    settled.forEach((row, r) => {
      const query = annotationIds[row];
      const threshold = lists.get(query)!.kthSimilarity;
      for (let j = 0; j < reverse.fetch; j++) {
        const similarity = reverse.similarities[r * reverse.fetch + j];
        if (similarity < threshold) break;
        edges.push({ a: query, b: annotationIds[fresh[reverse.indices[r * reverse.fetch + j]]], similarity });
      }
    });
  }
  return { edges, lists: newLists, searched: search.length, k: want };
}
