import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import type { Decision, MergeChoice } from '../../../shared/api.ts';

export interface NewDecision {
  a: number;
  b: number;
  verdict: Decision['verdict'];
  merge: MergeChoice | null;
  note: string | null;
  reviewer: string | null;
  undoes: number | null;
  /** Made where the decision was made (a team sync passes the other catalog's); a new UUID otherwise. */
  uid?: string;
  /** When it was decided, where it was decided; now otherwise. */
  createdAt?: string;
}

/** What the queue knew of a pair when it was decided: a sample for its calibration. */
export interface DecisionFeatures {
  modelId: number;
  similarity: number;
  plausibility: number | null;
  sizeA: number;
  sizeB: number;
}

/** How one annotation's individual changed through a decision. */
export interface Effect {
  annotationId: number;
  individualBefore: number | null;
  individualAfter: number | null;
}

const DECISION_COLUMNS = `d.id, d.uid, d.annotation_a, d.annotation_b, d.verdict, d.merge, d.note, d.reviewer, d.created_at, d.undoes,
  (SELECT u.id FROM decisions u WHERE u.undoes = d.id) AS undone_by`;
interface DecisionRow {
  id: number;
  uid: string;
  annotation_a: number;
  annotation_b: number;
  verdict: Decision['verdict'];
  merge: MergeChoice | null;
  note: string | null;
  reviewer: string | null;
  created_at: string;
  undoes: number | null;
  undone_by: number | null;
}
const toDecision = (row: DecisionRow): Decision => ({
  id: row.id,
  uid: row.uid,
  a: row.annotation_a,
  b: row.annotation_b,
  verdict: row.verdict,
  merge: row.merge,
  note: row.note,
  reviewer: row.reviewer,
  createdAt: row.created_at,
  undoes: row.undoes,
  undoneBy: row.undone_by,
});

// A decision is in force when it is not an undo entry and no undo entry points at it.
const IN_FORCE = "d.verdict <> 'undo' AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id)";

/** The append-only decision log (the schema's triggers refuse UPDATE and DELETE). */
export class DecisionsStore {
  private readonly insertStatement;
  private readonly byIdStatement;
  private readonly insertEffectStatement;

  constructor(private readonly db: Database.Database) {
    this.insertStatement = db.prepare(
      `INSERT INTO decisions (uid, annotation_a, annotation_b, verdict, merge, note, reviewer, created_at, undoes)
       VALUES (@uid, @a, @b, @verdict, @merge, @note, @reviewer, @createdAt, @undoes)`,
    );
    this.byIdStatement = db.prepare<[number], DecisionRow>(`SELECT ${DECISION_COLUMNS} FROM decisions d WHERE d.id = ?`);
    this.insertEffectStatement = db.prepare(
      'INSERT INTO decision_effects (decision_id, annotation_id, individual_before, individual_after) VALUES (?, ?, ?, ?)',
    );
  }

  append(decision: NewDecision, effects: Effect[] = []): Decision {
    const { lastInsertRowid } = this.insertStatement.run({
      ...decision,
      uid: decision.uid ?? randomUUID(),
      createdAt: decision.createdAt ?? new Date().toISOString(),
    });
    const id = Number(lastInsertRowid);
    for (const effect of effects) this.insertEffectStatement.run(id, effect.annotationId, effect.individualBefore, effect.individualAfter);
    return this.byId(id)!;
  }

  byId(id: number): Decision | undefined {
    const row = this.byIdStatement.get(id);
    return row && toDecision(row);
  }

  effects(decisionId: number): Effect[] {
    return this.db
      .prepare<[number], Effect>(
        `SELECT annotation_id AS annotationId, individual_before AS individualBefore, individual_after AS individualAfter
         FROM decision_effects WHERE decision_id = ? ORDER BY annotation_id`,
      )
      .all(decisionId);
  }

  /** The newest decision still in force: what an undo takes back. */
  lastInForce(): Decision | undefined {
    const row = this.db.prepare<[], DecisionRow>(`SELECT ${DECISION_COLUMNS} FROM decisions d WHERE ${IN_FORCE} ORDER BY d.id DESC LIMIT 1`).get();
    return row && toDecision(row);
  }

  /** The whole log, oldest first. */
  list(): Decision[] {
    return this.db.prepare<[], DecisionRow>(`SELECT ${DECISION_COLUMNS} FROM decisions d ORDER BY d.id`).all().map(toDecision);
  }

  /** Annotations that have a decision in force with the given one. */
  decidedPartners(annotationId: number): Set<number> {
    const rows = this.db
      .prepare<[{ id: number }], { partner: number }>(
        `SELECT CASE WHEN d.annotation_a = @id THEN d.annotation_b ELSE d.annotation_a END AS partner
         FROM decisions d WHERE (d.annotation_a = @id OR d.annotation_b = @id) AND ${IN_FORCE}`,
      )
      .all({ id: annotationId });
    return new Set(rows.map((row) => row.partner));
  }

  /** Every unordered pair with a decision in force, as "min:max" keys. */
  decidedPairKeys(): Set<string> {
    const rows = this.db
      .prepare<[], { a: number; b: number }>(
        `SELECT DISTINCT min(d.annotation_a, d.annotation_b) AS a, max(d.annotation_a, d.annotation_b) AS b FROM decisions d WHERE ${IN_FORCE}`,
      )
      .all();
    return new Set(rows.map((row) => `${row.a}:${row.b}`));
  }

  counts(): { entries: number; decidedPairs: number } {
    return this.db
      .prepare<[], { entries: number; decidedPairs: number }>(
        `SELECT (SELECT count(*) FROM decisions) AS entries,
                (SELECT count(*) FROM (SELECT DISTINCT min(d.annotation_a, d.annotation_b), max(d.annotation_a, d.annotation_b)
                                       FROM decisions d WHERE ${IN_FORCE})) AS decidedPairs`,
      )
      .get()!;
  }

  recordFeatures(decisionId: number, features: DecisionFeatures): void {
    this.db
      .prepare(
        `INSERT INTO decision_features (decision_id, model_id, similarity, plausibility, size_a, size_b)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(decisionId, features.modelId, features.similarity, features.plausibility, features.sizeA, features.sizeB);
  }

  /** Decisions in force (not undo entries, not undone), oldest first. */
  inForce(): { a: number; b: number; verdict: 'same' | 'different' | 'unsure' }[] {
    return this.db
      .prepare<[], { a: number; b: number; verdict: 'same' | 'different' | 'unsure' }>(
        `SELECT d.annotation_a AS a, d.annotation_b AS b, d.verdict FROM decisions d WHERE ${IN_FORCE} ORDER BY d.id`,
      )
      .all();
  }

  /** "same" and "different" decisions in force under a model, with the features they were decided on. */
  calibrationSamples(modelId: number): { same: boolean; similarity: number; plausibility: number | null; sizeA: number; sizeB: number }[] {
    return this.db
      .prepare<[number], { verdict: string; similarity: number; plausibility: number | null; sizeA: number; sizeB: number }>(
        `SELECT d.verdict, f.similarity, f.plausibility, f.size_a AS sizeA, f.size_b AS sizeB
         FROM decisions d JOIN decision_features f ON f.decision_id = d.id
         WHERE f.model_id = ? AND d.verdict IN ('same', 'different') AND ${IN_FORCE}`,
      )
      .all(modelId)
      .map(({ verdict, ...features }) => ({ same: verdict === 'same', ...features }));
  }
}
