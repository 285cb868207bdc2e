import type Database from 'better-sqlite3';

/** The stored neighbour graph of one model: undirected edges (a < b) with their cosine similarity. */
export interface NeighbourEdges {
  a: Int32Array;
  b: Int32Array;
  similarity: Float32Array;
}

/** How far one annotation's neighbours were searched. */
export interface NeighbourList {
  k: number;
  /** Similarity of its k-th neighbour: a new vector less similar than this does not enter its list. */
  kthSimilarity: number;
}

export interface NewEdge {
  a: number;
  b: number;
  similarity: number;
}

const versionKey = (modelId: number): string => `neighbourGraphVersion:${modelId}`;

/** The neighbour graph per model (schema version 2), which the review queue reads instead of searching. */
export class NeighboursStore {
  private readonly insertEdgeStatement;
  private readonly setListStatement;

  constructor(private readonly db: Database.Database) {
    this.insertEdgeStatement = db.prepare(
      'INSERT OR IGNORE INTO neighbours (model_id, annotation_a, annotation_b, similarity) VALUES (?, ?, ?, ?)',
    );
    this.setListStatement = db.prepare(
      `INSERT INTO neighbour_lists (model_id, annotation_id, k, kth_similarity) VALUES (?, ?, ?, ?)
       ON CONFLICT (model_id, annotation_id) DO UPDATE SET k = excluded.k, kth_similarity = excluded.kth_similarity`,
    );
  }

  lists(modelId: number): Map<number, NeighbourList> {
    const rows = this.db
      .prepare<[number], { annotation_id: number; k: number; kth_similarity: number }>(
        'SELECT annotation_id, k, kth_similarity FROM neighbour_lists WHERE model_id = ?',
      )
      .all(modelId);
    return new Map(rows.map((row) => [row.annotation_id, { k: row.k, kthSimilarity: row.kth_similarity }]));
  }

  /** Annotations whose list was searched at least `k` deep: when it equals the vectors, nothing is missing. */
  listCount(modelId: number, k: number): number {
    return this.db
      .prepare<[number, number], { n: number }>('SELECT count(*) AS n FROM neighbour_lists WHERE model_id = ? AND k >= ?')
      .get(modelId, k)!.n;
  }

  /** The deepest search any list has had (the graph's current k), or 0 before the first. */
  depth(modelId: number): number {
    return this.db.prepare<[number], { k: number | null }>('SELECT max(k) AS k FROM neighbour_lists WHERE model_id = ?').get(modelId)!.k ?? 0;
  }

  /**
   * Adds edges and records the searched lists, then bumps the graph's version (kept in the database, so
   * that another process's queue sees the change too). The caller holds the transaction.
   */
  add(modelId: number, edges: Iterable<NewEdge>, lists: Iterable<[number, NeighbourList]>): void {
    for (const edge of edges)
      this.insertEdgeStatement.run(
        modelId,
        Math.min(edge.a, edge.b),
        Math.max(edge.a, edge.b),
        edge.similarity,
      );
    for (const [annotationId, list] of lists)
      this.setListStatement.run(modelId, annotationId, list.k, list.kthSimilarity);
    this.bumpVersion(modelId);
  }

  /**
   * Takes an annotation out of the model's graph (its vector was dropped): its edges and its list go,
   * and so do the lists of the annotations it was linked to, which lose a neighbour and are searched
   * again (to their full k) by the next update. So a changed box replaces its edges instead of adding to
   * them. The caller holds the transaction.
   */
  forget(modelId: number, annotationId: number): void {
    this.db
      .prepare(
        `DELETE FROM neighbour_lists WHERE model_id = @modelId AND (annotation_id = @annotationId OR annotation_id IN (
           SELECT annotation_b FROM neighbours WHERE model_id = @modelId AND annotation_a = @annotationId
           UNION SELECT annotation_a FROM neighbours WHERE model_id = @modelId AND annotation_b = @annotationId))`,
      )
      .run({ modelId, annotationId });
    this.db
      .prepare('DELETE FROM neighbours WHERE model_id = @modelId AND (annotation_a = @annotationId OR annotation_b = @annotationId)')
      .run({ modelId, annotationId });
    this.bumpVersion(modelId);
  }

  private bumpVersion(modelId: number): void {
    this.db
      .prepare(
        `INSERT INTO settings (key, value) VALUES (?, '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)`,
      )
      .run(versionKey(modelId));
  }

  /** Changes whenever the model's graph changes, in this process or another. */
  version(modelId: number): number {
    const row = this.db
      .prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?')
      .get(versionKey(modelId));
    return row ? Number(row.value) : 0;
  }

  edgeCount(modelId: number): number {
    return this.db
      .prepare<[number], { n: number }>('SELECT count(*) AS n FROM neighbours WHERE model_id = ?')
      .get(modelId)!.n;
  }

  edges(modelId: number): NeighbourEdges {
    const count = this.edgeCount(modelId);
    const edges: NeighbourEdges = {
      a: new Int32Array(count),
      b: new Int32Array(count),
      similarity: new Float32Array(count),
    };
    let i = 0;
    const rows = this.db
      .prepare<[number], [number, number, number]>(
        'SELECT annotation_a, annotation_b, similarity FROM neighbours WHERE model_id = ?',
      )
      .raw()
      .iterate(modelId);
    for (const [a, b, similarity] of rows) {
      if (i >= count) break;
      edges.a[i] = a;
      edges.b[i] = b;
      edges.similarity[i] = similarity;
      i++;
    }
    return i === count
      ? edges
      : { a: edges.a.subarray(0, i), b: edges.b.subarray(0, i), similarity: edges.similarity.subarray(0, i) };
  }
}
