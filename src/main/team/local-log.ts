import type Database from 'better-sqlite3';
import type { Box, MergeChoice } from '../../shared/api.ts';
import { DecisionEvent, TeamEvent, type AnnotationRow, type PhotoRow } from './events.ts';
import { annotationKey, fileNameOf } from './keys.ts';

/**
 * All of the team service's SQL against the catalog's SQLite: its copy of the team log (team_events), what
 * it has not pushed yet, annotations by key, and the names people gave. The catalog's own tables are read
 * here as they are; the decision log is only appended to through DecisionsStore.append, and who is who is
 * the identity service's (ranking/identities.ts) to write.
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
  /** The uid of the first decision of its batch, if it was committed with others. */
  batchUid: string | null;
}

export interface LogRename {
  id: number;
  uid: string;
  individualId: number;
  oldName: string;
  newName: string;
  reviewer: string | null;
  createdAt: string;
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
  d.created_at AS createdAt, u.uid AS undoesUid, s.uid AS batchUid
  FROM decisions d LEFT JOIN decisions u ON u.id = d.undoes LEFT JOIN decisions s ON s.id = d.batch LEFT JOIN team_events t ON t.uid = d.uid`;
/** Renames made here (not applied by a sync) of individuals that hold a photo: the ones to push. */
const OWN_RENAME = 'c.origin IS NULL AND EXISTS (SELECT 1 FROM annotations a WHERE a.individual_id = c.individual_id AND a.deleted_at IS NULL)';

export class TeamLocalStore {
  /** Statements prepared once per catalog connection: a pull runs some of them for every event. */
  private readonly statements = new Map<string, Database.Statement>();
  private readonly recordStatement;
  private readonly decisionIdStatement;

  constructor(private readonly db: Database.Database) {
    this.recordStatement = db.prepare(
      `INSERT INTO team_events (uid, seq, kind, catalog, event, decision_id, held) VALUES (@uid, @seq, @kind, @catalog, @event, @decisionId, @held)
       ON CONFLICT (uid) DO NOTHING`,
    );
    this.decisionIdStatement = db.prepare<[string], { id: number }>('SELECT id FROM decisions WHERE uid = ?');
  }

  private prepare<P extends unknown[] | object = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement as unknown as Database.Statement<P, R>;
  }

  /** Every annotation with its key (photo hash and box) and what a push or a replay needs of it. */
  annotations(): AnnotationFacts[] {
    const rows = this.prepare<
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
    for (const [id, before] of this.prepare<[], [number, string]>('SELECT annotation_id, before FROM annotation_edits WHERE before IS NOT NULL ORDER BY id')
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
    return this.prepare<[], LogDecision>(`${DECISION_SELECT} WHERE t.uid IS NULL ORDER BY d.id`).all();
  }

  /**
   * Ranks of annotations by key (photo hash and box): the order every catalog of the team shares, for the
   * ties the evidence leaves (ranking/tie-order.ts). Equal keys (two boxes drawn alike on one photo) go by id.
   */
  keyRanks(ids: readonly number[]): Map<number, number> {
    const wanted = new Set(ids);
    const keyed = this.annotations()
      .filter((a) => wanted.has(a.id))
      .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : x.id - y.id));
    return new Map(keyed.map((a, rank) => [a.id, rank]));
  }

  /** Calibration features of decisions, by decision id, with the model's identity (not its local id). */
  features(ids: number[]): Map<number, { model: string; similarity: number; plausibility: number | null; sizeA: number; sizeB: number }> {
    const rows = this.prepare<[string], { id: number; model: string; similarity: number; plausibility: number | null; sizeA: number; sizeB: number }>(
        `SELECT f.decision_id AS id, m.identity AS model, f.similarity, f.plausibility, f.size_a AS sizeA, f.size_b AS sizeB
         FROM decision_features f JOIN models m ON m.id = f.model_id WHERE f.decision_id IN (SELECT value FROM json_each(?))`,
      )
      .all(JSON.stringify(ids));
    return new Map(rows.map(({ id, ...features }) => [id, features]));
  }

  modelIdByIdentity(identity: string): number | undefined {
    return this.prepare<[string], { id: number }>('SELECT id FROM models WHERE identity = ?').get(identity)?.id;
  }

  /** Renames made here that the store has not acknowledged yet, oldest first. */
  unpushedRenames(): LogRename[] {
    return this.prepare<[], LogRename>(
        `SELECT c.id, c.uid, c.individual_id AS individualId, c.old_name AS oldName, c.new_name AS newName, c.reviewer,
                c.created_at AS createdAt
         FROM name_changes c WHERE ${OWN_RENAME} AND NOT EXISTS (SELECT 1 FROM team_events t WHERE t.uid = c.uid) ORDER BY c.id`,
      )
      .all();
  }

  /** Each individual's name before any rename: the name its import or its first decision gave it. */
  originalNames(): Map<number, string> {
    const rows = this.prepare<[], [number, string]>(
        `SELECT n.id, coalesce((SELECT c.old_name FROM name_changes c WHERE c.individual_id = n.id ORDER BY c.id LIMIT 1), n.name)
         FROM individuals n`,
      )
      .raw()
      .all();
    return new Map(rows);
  }

  individualNames(): Map<number, { name: string; named: boolean }> {
    const rows = this.prepare<[], [number, string, number]>('SELECT id, name, named FROM individuals').raw().all();
    return new Map(rows.map(([id, name, named]) => [id, { name, named: named === 1 }]));
  }

  /**
   * The name a person gave each annotation here (an import; the name its individual had before any
   * rename), by annotation: what this catalog tells the team as name events.
   */
  givenNames(): Map<number, string> {
    const originals = this.originalNames();
    const rows = this.prepare<[], [number, number]>('SELECT id, given_individual_id FROM annotations WHERE given_individual_id IS NOT NULL AND deleted_at IS NULL')
      .raw()
      .all();
    return new Map(rows.map(([id, individual]) => [id, originals.get(individual)!]));
  }

  /** Gives an annotation a person's name (the individual a team's name event settled on); deriving does the rest. */
  giveName(annotationId: number, individualId: number): void {
    this.prepare('UPDATE annotations SET given_individual_id = ? WHERE id = ?').run(individualId, annotationId);
  }

  /** The store's events this catalog holds a copy of, of one kind, in receipt order. */
  receivedEvents<K extends TeamEvent['kind']>(kind: K): { seq: number; event: Extract<TeamEvent, { kind: K }> }[] {
    return this.prepare<[string], { seq: number; event: string }>('SELECT seq, event FROM team_events WHERE kind = ? ORDER BY seq')
      .all(kind)
      .map((row) => ({ seq: row.seq, event: TeamEvent.parse(JSON.parse(row.event)) as Extract<TeamEvent, { kind: K }> }));
  }

  knownUids(): Set<string> {
    return new Set(this.prepare<[], [string]>('SELECT uid FROM team_events').raw().all().map(([uid]) => uid));
  }

  hasEvent(uid: string): boolean {
    return this.prepare('SELECT 1 FROM team_events WHERE uid = ?').get(uid) !== undefined;
  }

  decisionIdByUid(uid: string): number | undefined {
    return this.decisionIdStatement.get(uid)?.id;
  }

  isUndone(decisionId: number): boolean {
    return this.prepare('SELECT 1 FROM decisions WHERE undoes = ?').get(decisionId) !== undefined;
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
    return this.prepare<[], { uid: string; seq: number; event: string; held: string }>(
        "SELECT uid, seq, event, held FROM team_events WHERE held IS NOT NULL AND kind = 'decision' ORDER BY seq",
      )
      .all()
      .map((row) => ({ uid: row.uid, seq: row.seq, held: row.held, event: DecisionEvent.parse(JSON.parse(row.event)) }));
  }

  settle(uid: string, decisionId: number | null, held: string | null): void {
    this.prepare('UPDATE team_events SET decision_id = ?, held = ? WHERE uid = ?').run(decisionId, held, uid);
  }

  counts(): { events: number; held: number; unpushedDecisions: number; unpushedRenames: number } {
    return this.prepare<[], { events: number; held: number; unpushedDecisions: number; unpushedRenames: number }>(
        `SELECT (SELECT count(*) FROM team_events) AS events,
                (SELECT count(*) FROM team_events WHERE held IS NOT NULL) AS held,
                (SELECT count(*) FROM decisions d WHERE NOT EXISTS (SELECT 1 FROM team_events t WHERE t.uid = d.uid)) AS unpushedDecisions,
                (SELECT count(*) FROM name_changes c WHERE ${OWN_RENAME} AND NOT EXISTS (SELECT 1 FROM team_events t WHERE t.uid = c.uid)) AS unpushedRenames`,
      )
      .get()!;
  }

  /** Photo rows for the store (content hash, size, file name), by annotation. */
  static photoRow(facts: AnnotationFacts): PhotoRow {
    return { sha256: facts.sha256, width: facts.width, height: facts.height, fileName: fileNameOf(facts.path) };
  }

  static annotationRow(facts: AnnotationFacts): AnnotationRow {
    return { key: facts.key, sha256: facts.sha256, box: facts.box, theta: facts.theta, side: facts.side };
  }
}
