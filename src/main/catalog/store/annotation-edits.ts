import type Database from 'better-sqlite3';
import type { Box } from '../../../shared/api.ts';

/** What an edit changes of an annotation: its box (null: the whole photo), rotation, side and deletion. */
export interface AnnotationState {
  box: Box | null;
  theta: number;
  side: string | null;
  deleted: boolean;
}

export type EditKind = 'add' | 'change' | 'delete' | 'undo';
export type EditOrigin = 'person' | 'import';

export interface AnnotationEditRecord {
  id: number;
  annotationId: number;
  kind: EditKind;
  origin: EditOrigin;
  before: AnnotationState | null;
  after: AnnotationState;
  session: string | null;
  reviewer: string | null;
  undoes: number | null;
  createdAt: string;
}
export type NewAnnotationEdit = Omit<AnnotationEditRecord, 'id' | 'createdAt'>;

const EDIT_COLUMNS = 'id, annotation_id, kind, origin, before, after, session, reviewer, undoes, created_at';
interface EditRow {
  id: number;
  annotation_id: number;
  kind: EditKind;
  origin: EditOrigin;
  before: string | null;
  after: string;
  session: string | null;
  reviewer: string | null;
  undoes: number | null;
  created_at: string;
}
const toEdit = (row: EditRow): AnnotationEditRecord => ({
  id: row.id,
  annotationId: row.annotation_id,
  kind: row.kind,
  origin: row.origin,
  before: row.before === null ? null : (JSON.parse(row.before) as AnnotationState),
  after: JSON.parse(row.after) as AnnotationState,
  session: row.session,
  reviewer: row.reviewer,
  undoes: row.undoes,
  createdAt: row.created_at,
});

/** The annotation edit history (schema v3AnnotationEdits): append-only, like the decision log. */
export class AnnotationEditsStore {
  private readonly appendStatement;
  private readonly byIdStatement;
  private readonly lastUndoableStatement;

  constructor(private readonly db: Database.Database) {
    this.appendStatement = db.prepare(
      `INSERT INTO annotation_edits (annotation_id, kind, origin, before, after, session, reviewer, undoes, created_at)
       VALUES (@annotationId, @kind, @origin, @before, @after, @session, @reviewer, @undoes, @createdAt)`,
    );
    this.byIdStatement = db.prepare<[number], EditRow>(`SELECT ${EDIT_COLUMNS} FROM annotation_edits WHERE id = ?`);
    // The newest edit of a session that is no undo and has not been undone.
    this.lastUndoableStatement = db.prepare<[string], EditRow>(
      `SELECT ${EDIT_COLUMNS} FROM annotation_edits e WHERE session = ? AND kind <> 'undo'
         AND NOT EXISTS (SELECT 1 FROM annotation_edits u WHERE u.undoes = e.id)
       ORDER BY id DESC LIMIT 1`,
    );
  }

  append(edit: NewAnnotationEdit): AnnotationEditRecord {
    const createdAt = new Date().toISOString();
    const { lastInsertRowid } = this.appendStatement.run({
      ...edit,
      before: edit.before === null ? null : JSON.stringify(edit.before),
      after: JSON.stringify(edit.after),
      createdAt,
    });
    return { ...edit, id: Number(lastInsertRowid), createdAt };
  }

  byId(id: number): AnnotationEditRecord | undefined {
    const row = this.byIdStatement.get(id);
    return row && toEdit(row);
  }

  /** What Ctrl+Z in this photo-view session takes back, if anything. */
  lastUndoable(session: string): AnnotationEditRecord | undefined {
    const row = this.lastUndoableStatement.get(session);
    return row && toEdit(row);
  }

  /** An annotation's history, oldest first. */
  ofAnnotation(annotationId: number): AnnotationEditRecord[] {
    return this.db
      .prepare<[number], EditRow>(`SELECT ${EDIT_COLUMNS} FROM annotation_edits WHERE annotation_id = ? ORDER BY id`)
      .all(annotationId)
      .map(toEdit);
  }

  /**
   * For each annotation of a photo that has a history: the box it was made with (before its first
   * change), so that an import recognises a detection whose box a person has since moved.
   */
  firstBoxes(imageId: number): Map<number, Box | null> {
    const rows = this.db
      .prepare<[number], { annotation_id: number; kind: EditKind; before: string | null; after: string }>(
        `SELECT e.annotation_id, e.kind, e.before, e.after FROM annotation_edits e JOIN annotations a ON a.id = e.annotation_id
         WHERE a.image_id = ? ORDER BY e.id`,
      )
      .all(imageId);
    const first = new Map<number, Box | null>();
    for (const row of rows) {
      if (first.has(row.annotation_id)) continue;
      const state = JSON.parse(row.kind === 'add' || row.before === null ? row.after : row.before) as AnnotationState;
      first.set(row.annotation_id, state.box);
    }
    return first;
  }

  /** Annotations among `ids` whose box or side a person drew, changed or deleted. */
  personEdited(ids: readonly number[]): Set<number> {
    const rows = this.db
      .prepare<[string], { annotation_id: number }>(
        `SELECT DISTINCT annotation_id FROM annotation_edits WHERE origin = 'person' AND annotation_id IN (SELECT value FROM json_each(?))`,
      )
      .all(JSON.stringify(ids));
    return new Set(rows.map((row) => row.annotation_id));
  }
}
