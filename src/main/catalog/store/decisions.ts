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
  /** The team catalog a pulled decision was made in; none for a decision made here. */
  origin?: string | null;
  /** The first decision of the batch this one was committed with ("none of these", a split), if any. */
  batch?: number | null;
  /** The reviewers' accuracies in use just before it (JSON), for an undo. */
  accuracies?: string | null;
}

/** A decision in force, as the evidence model reads it. */
export interface DecisionInForceRow {
  id: number;
  /** Made where the decision was made (team mode). */
  uid: string;
  a: number;
  b: number;
  verdict: 'same' | 'different' | 'unsure';
  merge: MergeChoice | null;
  reviewer: string | null;
  createdAt: string;
}

/** What the queue knew of a pair when it was decided: a sample for its calibration. */
export interface DecisionFeatures {
  modelId: number;
  similarity: number;
  plausibility: number | null;
  sizeA: number;
  sizeB: number;
}

/** What changed an annotation's individual: a decision or undo entry, or something else (see assignment_changes). */
export interface ChangeCause {
  kind: 'decision' | 'undo' | 'accuracy' | 'import' | 'resolve' | 'sync';
  decisionId: number | null;
  detail?: string;
}

/** A change of one annotation's individual, with its cause. */
export interface AssignmentChange extends Effect {
  decisionId: number | null;
  cause: ChangeCause['kind'] | 'legacy';
  detail: string | null;
  createdAt: string | null;
}

/** How one annotation's individual changed through a decision. */
export interface Effect {
  annotationId: number;
  individualBefore: number | null;
  individualAfter: number | null;
}

const DECISION_COLUMNS = `d.id, d.uid, d.annotation_a, d.annotation_b, d.verdict, d.merge, d.note, d.reviewer, d.created_at, d.undoes, d.batch,
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
  batch: number | null;
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
  batch: row.batch,
});

// A decision is in force when it is not an undo entry and no undo entry points at it.
const IN_FORCE = "d.verdict <> 'undo' AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id)";

/** The append-only decision log (the schema's triggers refuse UPDATE and DELETE). */
export class DecisionsStore {
  private readonly insertStatement;
  private readonly byIdStatement;
  private readonly insertEffectStatement;
  private readonly insertFeaturesStatement;

  constructor(private readonly db: Database.Database) {
    this.insertStatement = db.prepare(
      `INSERT INTO decisions (uid, annotation_a, annotation_b, verdict, merge, note, reviewer, created_at, undoes, batch, accuracies, origin)
       VALUES (@uid, @a, @b, @verdict, @merge, @note, @reviewer, @createdAt, @undoes, @batch, @accuracies, @origin)`,
    );
    this.byIdStatement = db.prepare<[number], DecisionRow>(`SELECT ${DECISION_COLUMNS} FROM decisions d WHERE d.id = ?`);
    this.insertFeaturesStatement = db.prepare(
      `INSERT INTO decision_features (decision_id, model_id, similarity, plausibility, size_a, size_b)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.insertEffectStatement = db.prepare(
      'INSERT INTO decision_effects (decision_id, annotation_id, individual_before, individual_after) VALUES (?, ?, ?, ?)',
    );
  }

  append(decision: NewDecision, effects: Effect[] = []): Decision {
    const { lastInsertRowid } = this.insertStatement.run({
      batch: null,
      accuracies: null,
      origin: null,
      ...decision,
      uid: decision.uid ?? randomUUID(),
      createdAt: decision.createdAt ?? new Date().toISOString(),
    });
    const id = Number(lastInsertRowid);
    this.appendEffects(id, effects);
    return this.byId(id)!;
  }

  /** How annotations' individuals changed because of a decision (written once the evidence is re-derived). */
  appendEffects(decisionId: number, effects: readonly Effect[]): void {
    for (const effect of effects) this.insertEffectStatement.run(decisionId, effect.annotationId, effect.individualBefore, effect.individualAfter);
  }

  /** The reviewers' accuracies in use just before a decision (JSON), if it recorded them. */
  accuraciesBefore(decisionId: number): string | null {
    return this.db.prepare<[number], { accuracies: string | null }>('SELECT accuracies FROM decisions WHERE id = ?').get(decisionId)?.accuracies ?? null;
  }

  /** Every decision in force of a batch (its first decision's id), oldest first. */
  batchInForce(batch: number): Decision[] {
    return this.db
      .prepare<[number, number], DecisionRow>(`SELECT ${DECISION_COLUMNS} FROM decisions d WHERE (d.id = ? OR d.batch = ?) AND ${IN_FORCE} ORDER BY d.id`)
      .all(batch, batch)
      .map(toDecision);
  }

  /** The newest decision (undo entries included), or undefined for an empty log. */
  newestId(): number | undefined {
    return this.db.prepare<[], { id: number }>('SELECT max(id) AS id FROM decisions').get()?.id ?? undefined;
  }

  /** Records changes of annotations' individuals with their cause (append-only). */
  recordChanges(changes: readonly Effect[], cause: ChangeCause): void {
    const insert = this.db.prepare(
      `INSERT INTO assignment_changes (annotation_id, individual_before, individual_after, decision_id, cause, detail, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const now = new Date().toISOString();
    for (const change of changes)
      insert.run(change.annotationId, change.individualBefore, change.individualAfter, cause.decisionId, cause.kind, cause.detail ?? null, now);
  }

  /**
   * Every change of these annotations' individuals, newest first: the changes recorded with their cause,
   * then those recorded before as decisions' effects.
   */
  effectsOf(annotationIds: readonly number[]): AssignmentChange[] {
    return this.db
      .prepare<[string, string], AssignmentChange & { era: number; seq: number }>(
        `SELECT * FROM (
           SELECT 1 AS era, id AS seq, decision_id AS decisionId, annotation_id AS annotationId, individual_before AS individualBefore,
                  individual_after AS individualAfter, cause, detail, created_at AS createdAt
           FROM assignment_changes WHERE annotation_id IN (SELECT value FROM json_each(?))
           UNION ALL
           SELECT 0, decision_id, decision_id, annotation_id, individual_before, individual_after, 'legacy', NULL, NULL
           FROM decision_effects WHERE annotation_id IN (SELECT value FROM json_each(?)))
         ORDER BY era DESC, seq DESC`,
      )
      .all(JSON.stringify(annotationIds), JSON.stringify(annotationIds))
      .map(({ era: _era, seq: _seq, ...change }) => change);
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

  /**
   * The newest decision still in force that an undo may take back: one made in this catalog, or with a
   * reviewer, that reviewer's (wherever it was made) or one made here without a name. Decisions that a team
   * sync brought from other catalogs are not this catalog's to take back.
   */
  lastInForce(reviewer?: string): Decision | undefined {
    const whose = reviewer === undefined ? 'd.origin IS NULL' : '(d.reviewer = @reviewer OR (d.reviewer IS NULL AND d.origin IS NULL))';
    const row = this.db
      .prepare<[{ reviewer: string | null }], DecisionRow>(`SELECT ${DECISION_COLUMNS} FROM decisions d WHERE ${IN_FORCE} AND ${whose} ORDER BY d.id DESC LIMIT 1`)
      .get({ reviewer: reviewer ?? null });
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
    this.insertFeaturesStatement.run(decisionId, features.modelId, features.similarity, features.plausibility, features.sizeA, features.sizeB);
  }

  /** Decisions in force (not undo entries, not undone), oldest first. */
  inForce(): DecisionInForceRow[] {
    return this.db
      .prepare<[], DecisionInForceRow>(
        `SELECT d.id, d.uid, d.annotation_a AS a, d.annotation_b AS b, d.verdict, d.merge, d.reviewer, d.created_at AS createdAt
         FROM decisions d WHERE ${IN_FORCE} ORDER BY d.id`,
      )
      .all();
  }

  /**
   * Changes whenever the log or the features recorded with it change: the log is append-only (an undo
   * is an entry), and features are only ever added.
   */
  logVersion(): string {
    const row = this.db
      .prepare<[], { newest: number | null; features: number }>('SELECT (SELECT MAX(id) FROM decisions) AS newest, (SELECT COUNT(*) FROM decision_features) AS features')
      .get()!;
    return `${row.newest ?? 0}|${row.features}`;
  }

  /** How many decisions are in force. */
  countInForce(): number {
    return this.db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM decisions d WHERE ${IN_FORCE}`).get()!.n;
  }

  /** "same" and "different" decisions in force under a model, with the features they were decided on and who decided. */
  calibrationSamples(
    modelId: number,
  ): { same: boolean; similarity: number; plausibility: number | null; sizeA: number; sizeB: number; reviewer: string | null }[] {
    return this.db
      .prepare<[number], { verdict: string; similarity: number; plausibility: number | null; sizeA: number; sizeB: number; reviewer: string | null }>(
        `SELECT d.verdict, f.similarity, f.plausibility, f.size_a AS sizeA, f.size_b AS sizeB, d.reviewer
         FROM decisions d JOIN decision_features f ON f.decision_id = d.id
         WHERE f.model_id = ? AND d.verdict IN ('same', 'different') AND ${IN_FORCE}`,
      )
      .all(modelId)
      .map(({ verdict, ...features }) => ({ same: verdict === 'same', ...features }));
  }
}
