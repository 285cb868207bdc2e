import type Database from 'better-sqlite3';

export interface StoredPair {
  a: number;
  b: number;
  similarity: number;
  plausibility: number | null;
}

/** Candidate pairs per model, stored unordered (a < b), with the plausibility the PAIR-X pass fills in. */
export class PairsStore {
  private readonly upsertSimilarityStatement;
  private readonly setPlausibilityStatement;
  private readonly getStatement;

  constructor(private readonly db: Database.Database) {
    this.upsertSimilarityStatement = db.prepare(
      `INSERT INTO candidate_pairs (model_id, annotation_a, annotation_b, similarity, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (model_id, annotation_a, annotation_b) DO UPDATE SET similarity = excluded.similarity, updated_at = excluded.updated_at`,
    );
    this.setPlausibilityStatement = db.prepare(
      `INSERT INTO candidate_pairs (model_id, annotation_a, annotation_b, similarity, plausibility, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (model_id, annotation_a, annotation_b) DO UPDATE SET plausibility = excluded.plausibility, updated_at = excluded.updated_at`,
    );
    this.getStatement = db.prepare<[number, number, number], { similarity: number; plausibility: number | null }>(
      'SELECT similarity, plausibility FROM candidate_pairs WHERE model_id = ? AND annotation_a = ? AND annotation_b = ?',
    );
  }

  upsertSimilarities(modelId: number, pairs: { a: number; b: number; similarity: number }[]): void {
    const now = new Date().toISOString();
    this.db.transaction(() => {
      for (const pair of pairs) this.upsertSimilarityStatement.run(modelId, Math.min(pair.a, pair.b), Math.max(pair.a, pair.b), pair.similarity, now);
    })();
  }

  setPlausibility(modelId: number, a: number, b: number, similarity: number, plausibility: number | null): void {
    this.setPlausibilityStatement.run(modelId, Math.min(a, b), Math.max(a, b), similarity, plausibility, new Date().toISOString());
  }

  get(modelId: number, a: number, b: number): Omit<StoredPair, 'a' | 'b'> | undefined {
    return this.getStatement.get(modelId, Math.min(a, b), Math.max(a, b));
  }

  /** Forgets every stored pair of an annotation (its box changed: similarity and plausibility were of the old crop). */
  forgetAnnotation(annotationId: number): void {
    this.db.prepare('DELETE FROM candidate_pairs WHERE annotation_a = ? OR annotation_b = ?').run(annotationId, annotationId);
  }

  /** Every computed plausibility under a model, as [a, b, plausibility] with a < b. */
  plausibilities(modelId: number): [number, number, number][] {
    return this.db
      .prepare<[number], [number, number, number]>(
        'SELECT annotation_a, annotation_b, plausibility FROM candidate_pairs WHERE model_id = ? AND plausibility IS NOT NULL',
      )
      .raw()
      .all(modelId);
  }
}
