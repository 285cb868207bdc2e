import type Database from 'better-sqlite3';
import type { Box, MergeChoice } from '../../shared/api.ts';
import { DecisionEvent, TeamEvent, type AnnotationRow, type PhotoRow } from './events.ts';
import { annotationKey, fileNameOf } from './keys.ts';

/**
 * All of the team service's SQL against the catalog's SQLite: its copy of the team log (team_events), what
 * it has not pushed yet, the facts replaying the log needs, and what re-deriving writes (team_effects). The
 * catalog's own tables are read here as they are; the decision log is only appended to through
 * DecisionsStore.append.
 */

/** A decision of this catalog's log with what the team needs of it. */
export interface LogDecision {
  id: number;
  uid: string;
  a: number;
  b: number;
  verdict: 'same' | 'different' | 'unsure' | 'undo';
  merge: MergeChoice | null;
  note: string | null;
  reviewer: string | null;
  createdAt: string;
  /** The uid of the decision an undo entry takes back. */
  undoesUid: string | null;
  /** The team store's receipt number, once the store has it. */
  seq: number | null;
}

export interface LogRename {
  id: number;
  uid: string;
  individualId: number;
  oldName: string;
  newName: string;
  reviewer: string | null;
  createdAt: string;
  seq: number | null;
}

export interface AnnotationFacts {
  id: number;
  key: string;
  sha256: string;
  box: Box | null;
  theta: number;
  side: string | null;
  individualId: number | null;
  path: string;
  width: number;
  height: number;
}

/** An event from the store that is not (yet) in this catalog's log, and why. */
export interface HeldEvent {
  uid: string;
  seq: number;
  event: DecisionEvent;
  held: string;
}

const DECISION_SELECT = `SELECT d.id, d.uid, d.annotation_a AS a, d.annotation_b AS b, d.verdict, d.merge, d.note, d.reviewer,
  d.created_at AS createdAt, u.uid AS undoesUid, t.seq
  FROM decisions d LEFT JOIN decisions u ON u.id = d.undoes LEFT JOIN team_events t ON t.uid = d.uid`;
const IN_FORCE = "d.verdict <> 'undo' AND NOT EXISTS (SELECT 1 FROM decisions x WHERE x.undoes = d.id)";

export class TeamLocalStore {
  private readonly recordStatement;
  private readonly decisionIdStatement;

  constructor(private readonly db: Database.Database) {
    this.recordStatement = db.prepare(
      `INSERT INTO team_events (uid, seq, kind, catalog, event, decision_id, held) VALUES (@uid, @seq, @kind, @catalog, @event, @decisionId, @held)
       ON CONFLICT (uid) DO NOTHING`,
    );
    this.decisionIdStatement = db.prepare<[string], { id: number }>('SELECT id FROM decisions WHERE uid = ?');
  }

  /** Every annotation with its key (photo hash and box) and what a push or a replay needs of it. */
  annotations(): AnnotationFacts[] {
    const rows = this.db
      .prepare<
        [],
        [number, string, number | null, number | null, number | null, number | null, number, string | null, number | null, string, number, number]
      >(
        `SELECT a.id, i.sha256, a.x, a.y, a.w, a.h, a.theta, a.side, a.individual_id, i.path, i.width, i.height
         FROM annotations a JOIN images i ON i.id = a.image_id`,
      )
      .raw()
      .all();
    return rows.map(([id, sha256, x, y, w, h, theta, side, individualId, path, width, height]) => {
      const box = x === null ? null : { x, y: y!, w: w!, h: h! };
      return { id, key: annotationKey(sha256, box, theta), sha256, box, theta, side, individualId, path, width, height };
    });
  }

  /**
   * Keys to this catalog's annotations: each one's key now, and the keys of the boxes it had before an
   * edit (annotation_edits), so that decisions others made on a box edited here still find it.
   */
  keyIndex(annotations: readonly AnnotationFacts[]): Map<string, number> {
    const byKey = new Map(annotations.map((a) => [a.key, a.id]));
    const shaOf = new Map(annotations.map((a) => [a.id, a.sha256]));
    for (const [id, before] of this.db
      .prepare<[], [number, string]>('SELECT annotation_id, before FROM annotation_edits WHERE before IS NOT NULL ORDER BY id')
      .raw()
      .all()) {
      const sha = shaOf.get(id);
      const state = JSON.parse(before) as { box?: Box | null; theta?: number };
      if (sha === undefined) continue;
      const key = annotationKey(sha, state.box ?? null, state.theta ?? 0);
      if (!byKey.has(key)) byKey.set(key, id);
    }
    return byKey;
  }

  /** The decisions the store has not acknowledged yet (none of its events names them), oldest first. */
  unpushedDecisions(): LogDecision[] {
    return this.db.prepare<[], LogDecision>(`${DECISION_SELECT} WHERE t.uid IS NULL ORDER BY d.id`).all();
  }

  /** Decisions in force (not undo entries, not undone), with their receipt numbers where known. */
  decisionsInForce(): LogDecision[] {
    return this.db.prepare<[], LogDecision>(`${DECISION_SELECT} WHERE ${IN_FORCE} ORDER BY d.id`).all();
  }

  /** The whole log with receipt numbers, oldest first. */
  allDecisions(): LogDecision[] {
    return this.db.prepare<[], LogDecision>(`${DECISION_SELECT} ORDER BY d.id`).all();
  }

  /** Calibration features of decisions, by decision id, with the model's identity (not its local id). */
  features(ids: number[]): Map<number, { model: string; similarity: number; plausibility: number | null; sizeA: number; sizeB: number }> {
    const rows = this.db
      .prepare<[string], { id: number; model: string; similarity: number; plausibility: number | null; sizeA: number; sizeB: number }>(
        `SELECT f.decision_id AS id, m.identity AS model, f.similarity, f.plausibility, f.size_a AS sizeA, f.size_b AS sizeB
         FROM decision_features f JOIN models m ON m.id = f.model_id WHERE f.decision_id IN (SELECT value FROM json_each(?))`,
      )
      .all(JSON.stringify(ids));
    return new Map(rows.map(({ id, ...features }) => [id, features]));
  }

  modelIdByIdentity(identity: string): number | undefined {
    return this.db.prepare<[string], { id: number }>('SELECT id FROM models WHERE identity = ?').get(identity)?.id;
  }

  renames(onlyUnpushed: boolean): LogRename[] {
    return this.db
      .prepare<[], LogRename>(
        `SELECT c.id, c.uid, c.individual_id AS individualId, c.old_name AS oldName, c.new_name AS newName, c.reviewer,
                c.created_at AS createdAt, t.seq
         FROM name_changes c LEFT JOIN team_events t ON t.uid = c.uid
         ${onlyUnpushed ? 'WHERE t.uid IS NULL' : ''} ORDER BY c.id`,
      )
      .all();
  }

  /** Each individual's name before any rename: the name its import or its first decision gave it. */
  originalNames(): Map<number, string> {
    const rows = this.db
      .prepare<[], [number, string]>(
        `SELECT n.id, coalesce((SELECT c.old_name FROM name_changes c WHERE c.individual_id = n.id ORDER BY c.id LIMIT 1), n.name)
         FROM individuals n`,
      )
      .raw()
      .all();
    return new Map(rows);
  }

  individualNames(): Map<number, { name: string; named: boolean }> {
    const rows = this.db.prepare<[], [number, string, number]>('SELECT id, name, named FROM individuals').raw().all();
    return new Map(rows.map(([id, name, named]) => [id, { name, named: named === 1 }]));
  }

  /** "same" decisions that made a new individual of two unnamed annotations, with that individual's id. */
  createdIndividuals(): Map<number, number> {
    const rows = this.db
      .prepare<[], [number, number]>(
        `SELECT decision_id, min(individual_after) FROM decision_effects GROUP BY decision_id
         HAVING count(*) = 2 AND sum(individual_before IS NULL) = 2 AND min(individual_after) = max(individual_after)`,
      )
      .raw()
      .all();
    return new Map(rows);
  }

  /**
   * The individual a person gave each annotation (an import), told from what the log made: the individual
   * before the first change any decision or re-derivation made, else the current one. Annotations without
   * one are left out.
   */
  givenIndividuals(current: ReadonlyMap<number, number | null>): Map<number, number> {
    const firstDecision = new Map<number, { order: number; before: number | null }>();
    for (const [annotation, decision, before] of this.db
      .prepare<[], [number, number, number | null]>('SELECT annotation_id, decision_id, individual_before FROM decision_effects ORDER BY decision_id DESC')
      .raw()
      .all())
      firstDecision.set(annotation, { order: decision, before });
    const firstDerived = new Map<number, { order: number; before: number | null }>();
    for (const [annotation, after, before] of this.db
      .prepare<[], [number, number, number | null]>('SELECT annotation_id, after_decision, individual_before FROM team_effects ORDER BY id DESC')
      .raw()
      .all())
      firstDerived.set(annotation, { order: after, before });
    const given = new Map<number, number>();
    for (const [annotation, individual] of current) {
      const d = firstDecision.get(annotation);
      const t = firstDerived.get(annotation);
      const first = d && t ? (d.order <= t.order ? d : t) : (d ?? t);
      const value = first ? first.before : individual;
      if (value !== null) given.set(annotation, value);
    }
    return given;
  }

  /** The store's events this catalog holds a copy of, of one kind, in receipt order. */
  receivedEvents<K extends TeamEvent['kind']>(kind: K): { seq: number; event: Extract<TeamEvent, { kind: K }> }[] {
    return this.db
      .prepare<[string], { seq: number; event: string }>('SELECT seq, event FROM team_events WHERE kind = ? ORDER BY seq')
      .all(kind)
      .map((row) => ({ seq: row.seq, event: TeamEvent.parse(JSON.parse(row.event)) as Extract<TeamEvent, { kind: K }> }));
  }

  knownUids(): Set<string> {
    return new Set(this.db.prepare<[], [string]>('SELECT uid FROM team_events').raw().all().map(([uid]) => uid));
  }

  hasEvent(uid: string): boolean {
    return this.db.prepare('SELECT 1 FROM team_events WHERE uid = ?').get(uid) !== undefined;
  }

  decisionIdByUid(uid: string): number | undefined {
    return this.decisionIdStatement.get(uid)?.id;
  }

  isUndone(decisionId: number): boolean {
    return this.db.prepare('SELECT 1 FROM decisions WHERE undoes = ?').get(decisionId) !== undefined;
  }

  record(row: { uid: string; seq: number; event: TeamEvent; decisionId: number | null; held: string | null }): void {
    this.recordStatement.run({
      uid: row.uid,
      seq: row.seq,
      kind: row.event.kind,
      catalog: row.event.catalog,
      event: JSON.stringify(row.event),
      decisionId: row.decisionId,
      held: row.held,
    });
  }

  /** Decisions of others that are not in this log yet (a photo this catalog does not have), in receipt order. */
  held(): HeldEvent[] {
    return this.db
      .prepare<[], { uid: string; seq: number; event: string; held: string }>(
        "SELECT uid, seq, event, held FROM team_events WHERE held IS NOT NULL AND kind = 'decision' ORDER BY seq",
      )
      .all()
      .map((row) => ({ uid: row.uid, seq: row.seq, held: row.held, event: DecisionEvent.parse(JSON.parse(row.event)) }));
  }

  settle(uid: string, decisionId: number | null, held: string | null): void {
    this.db.prepare('UPDATE team_events SET decision_id = ?, held = ? WHERE uid = ?').run(decisionId, held, uid);
  }

  counts(): { events: number; held: number; unpushedDecisions: number; unpushedRenames: number } {
    return this.db
      .prepare<[], { events: number; held: number; unpushedDecisions: number; unpushedRenames: number }>(
        `SELECT (SELECT count(*) FROM team_events) AS events,
                (SELECT count(*) FROM team_events WHERE held IS NOT NULL) AS held,
                (SELECT count(*) FROM decisions d WHERE NOT EXISTS (SELECT 1 FROM team_events t WHERE t.uid = d.uid)) AS unpushedDecisions,
                (SELECT count(*) FROM name_changes c WHERE NOT EXISTS (SELECT 1 FROM team_events t WHERE t.uid = c.uid)) AS unpushedRenames`,
      )
      .get()!;
  }

  newestDecisionId(): number {
    return this.db.prepare<[], { id: number | null }>('SELECT max(id) AS id FROM decisions').get()!.id ?? 0;
  }

  /** Writes one change of an annotation's individual that re-deriving made, and logs it. */
  moveAnnotation(annotationId: number, before: number | null, after: number | null, afterDecision: number, at: string): void {
    this.db.prepare('UPDATE annotations SET individual_id = ? WHERE id = ?').run(after, annotationId);
    this.db
      .prepare('INSERT INTO team_effects (annotation_id, individual_before, individual_after, after_decision, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(annotationId, before, after, afterDecision, at);
  }

  setNamed(individualId: number, named: boolean): void {
    this.db.prepare('UPDATE individuals SET named = ? WHERE id = ?').run(named ? 1 : 0, individualId);
  }

  /** Photo rows for the store (content hash, size, file name), by annotation. */
  static photoRow(facts: AnnotationFacts): PhotoRow {
    return { sha256: facts.sha256, width: facts.width, height: facts.height, fileName: fileNameOf(facts.path) };
  }

  static annotationRow(facts: AnnotationFacts): AnnotationRow {
    return { key: facts.key, sha256: facts.sha256, box: facts.box, theta: facts.theta, side: facts.side };
  }
}
