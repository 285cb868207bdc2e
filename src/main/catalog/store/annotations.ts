import type Database from 'better-sqlite3';
import type { Annotation, Box } from '../../../shared/api.ts';

export interface AnnotationRecord {
  id: number;
  imageId: number;
  box: Box | null;
  theta: number;
  side: string | null;
  individualId: number | null;
  /** The individual a person gave this annotation (an import), which answers do not change. */
  givenIndividualId: number | null;
  source: string;
  /** Marked deleted (the row stays: the decision log may name it). */
  deleted: boolean;
}
export type NewAnnotation = Omit<AnnotationRecord, 'id' | 'deleted' | 'givenIndividualId'> & {
  /** The detector's confidence, for an annotation made from detector output. */
  detectionConf?: number;
};

const ANNOTATION_COLUMNS = 'id, image_id, x, y, w, h, theta, side, individual_id, given_individual_id, source, deleted_at';
/** Annotations that are not marked deleted: what every listing, count and the review queue see. */
const LIVE = 'deleted_at IS NULL';
interface AnnotationRow {
  id: number;
  image_id: number;
  x: number | null;
  y: number | null;
  w: number | null;
  h: number | null;
  theta: number;
  side: string | null;
  individual_id: number | null;
  given_individual_id: number | null;
  source: string;
  deleted_at?: string | null;
}
const toBox = (row: Pick<AnnotationRow, 'x' | 'y' | 'w' | 'h'>): Box | null =>
  row.x === null ? null : { x: row.x, y: row.y!, w: row.w!, h: row.h! };
const toAnnotation = (row: AnnotationRow): AnnotationRecord => ({
  id: row.id,
  imageId: row.image_id,
  box: toBox(row),
  theta: row.theta,
  side: row.side,
  individualId: row.individual_id,
  givenIndividualId: row.given_individual_id,
  source: row.source,
  deleted: row.deleted_at !== null && row.deleted_at !== undefined,
});

// The joined view the fronts show: an annotation with its photo and its individual's name.
const VIEW_COLUMNS = `a.id, a.image_id, i.path AS image, i.width AS image_width, i.height AS image_height,
  a.x, a.y, a.w, a.h, a.theta, a.side, a.individual_id, n.name, i.thumbnail, i.captured_at, i.gps_lat, i.gps_lon, a.source`;
const VIEW_FROM = 'annotations a JOIN images i ON i.id = a.image_id LEFT JOIN individuals n ON n.id = a.individual_id';
interface ViewRow extends AnnotationRow {
  image: string;
  image_width: number;
  image_height: number;
  name: string | null;
  thumbnail: string | null;
  captured_at: string | null;
  gps_lat: number | null;
  gps_lon: number | null;
}
const toView = (row: ViewRow): Annotation => ({
  id: row.id,
  imageId: row.image_id,
  image: row.image,
  imageWidth: row.image_width,
  imageHeight: row.image_height,
  box: toBox(row),
  theta: row.theta,
  side: row.side,
  individualId: row.individual_id,
  name: row.name,
  // Thumbnails are stored relative to .pairx; the view gives paths relative to the catalog root.
  thumbnail: row.thumbnail === null ? null : `.pairx/${row.thumbnail}`,
  capturedAt: row.captured_at,
  gpsLat: row.gps_lat,
  gpsLon: row.gps_lon,
  source: row.source,
});

export interface ViewFilter {
  ids?: number[];
  individualId?: number;
  /** Only the annotations of this photo. */
  imageId?: number;
  offset?: number;
  limit?: number;
}

export class AnnotationsStore {
  private readonly insertStatement;
  private readonly byIdStatement;
  private readonly recordStatement;
  private readonly byImageStatement;
  private readonly allOfImageStatement;
  private readonly setShapeStatement;
  private readonly setDeletedStatement;
  private readonly setIndividualStatement;
  private readonly setSideStatement;
  private readonly byIndividualStatement;

  constructor(private readonly db: Database.Database) {
    this.insertStatement = db.prepare(
      // An individual given on insert is a person's (an import's) statement: it is the given one too.
      `INSERT INTO annotations (image_id, x, y, w, h, theta, side, individual_id, given_individual_id, source, detection_conf, created_at)
       VALUES (@imageId, @x, @y, @w, @h, @theta, @side, @individualId, @individualId, @source, @detectionConf, @createdAt)`,
    );
    this.byIdStatement = db.prepare<[number], AnnotationRow>(`SELECT ${ANNOTATION_COLUMNS} FROM annotations WHERE id = ? AND ${LIVE}`);
    this.recordStatement = db.prepare<[number], AnnotationRow>(`SELECT ${ANNOTATION_COLUMNS} FROM annotations WHERE id = ?`);
    this.byImageStatement = db.prepare<[number], AnnotationRow>(
      `SELECT ${ANNOTATION_COLUMNS} FROM annotations WHERE image_id = ? AND ${LIVE} ORDER BY id`,
    );
    this.allOfImageStatement = db.prepare<[number], AnnotationRow>(
      `SELECT ${ANNOTATION_COLUMNS} FROM annotations WHERE image_id = ? ORDER BY id`,
    );
    this.setShapeStatement = db.prepare('UPDATE annotations SET x = @x, y = @y, w = @w, h = @h, theta = @theta WHERE id = @id');
    this.setDeletedStatement = db.prepare('UPDATE annotations SET deleted_at = ? WHERE id = ?');
    this.setIndividualStatement = db.prepare('UPDATE annotations SET individual_id = ? WHERE id = ?');
    this.setSideStatement = db.prepare('UPDATE annotations SET side = ? WHERE id = ?');
    this.byIndividualStatement = db.prepare<[number], AnnotationRow>(
      `SELECT ${ANNOTATION_COLUMNS} FROM annotations WHERE individual_id = ? ORDER BY id`,
    );
  }

  insert(annotation: NewAnnotation): AnnotationRecord {
    const box = annotation.box;
    const { lastInsertRowid } = this.insertStatement.run({
      imageId: annotation.imageId,
      x: box?.x ?? null,
      y: box?.y ?? null,
      w: box?.w ?? null,
      h: box?.h ?? null,
      theta: annotation.theta,
      side: annotation.side,
      individualId: annotation.individualId,
      source: annotation.source,
      detectionConf: annotation.detectionConf ?? null,
      createdAt: new Date().toISOString(),
    });
    const { detectionConf: _conf, ...record } = annotation;
    return { ...record, givenIndividualId: annotation.individualId, id: Number(lastInsertRowid), deleted: false };
  }

  /** A live annotation (not marked deleted). */
  byId(id: number): AnnotationRecord | undefined {
    const row = this.byIdStatement.get(id);
    return row && toAnnotation(row);
  }

  /** An annotation whether or not it is marked deleted (edits and their undo need both). */
  record(id: number): AnnotationRecord | undefined {
    const row = this.recordStatement.get(id);
    return row && toAnnotation(row);
  }

  /** A photo's live annotations. */
  byImage(imageId: number): AnnotationRecord[] {
    return this.byImageStatement.all(imageId).map(toAnnotation);
  }

  /** A photo's annotations, those marked deleted included (so that an import does not bring one back). */
  allOfImage(imageId: number): AnnotationRecord[] {
    return this.allOfImageStatement.all(imageId).map(toAnnotation);
  }

  /** Sets the box (null: the whole photo) and its rotation. */
  setShape(annotationId: number, box: Box | null, theta: number): void {
    this.setShapeStatement.run({ id: annotationId, x: box?.x ?? null, y: box?.y ?? null, w: box?.w ?? null, h: box?.h ?? null, theta });
  }

  /** Marks an annotation deleted, or takes the mark away. */
  setDeleted(annotationId: number, deleted: boolean): void {
    this.setDeletedStatement.run(deleted ? new Date().toISOString() : null, annotationId);
  }

  byIndividual(individualId: number): AnnotationRecord[] {
    return this.byIndividualStatement.all(individualId).map(toAnnotation);
  }

  /** The derived assignment (the resolver's, or an undo's). */
  setIndividual(annotationId: number, individualId: number | null): void {
    this.setIndividualStatement.run(individualId, annotationId);
  }

  /** A person names this annotation (an import): the given individual and, until the evidence is re-derived, the assignment. */
  giveName(annotationId: number, individualId: number): void {
    this.db.prepare('UPDATE annotations SET individual_id = ?, given_individual_id = ? WHERE id = ?').run(individualId, individualId, annotationId);
  }

  /** Annotations a person gave a name, by given individual (the resolver's seeds). */
  givenIndividuals(): Map<number, number> {
    const rows = this.db
      .prepare<[], [number, number]>(`SELECT id, given_individual_id FROM annotations WHERE given_individual_id IS NOT NULL AND ${LIVE}`)
      .raw()
      .all();
    return new Map(rows);
  }

  /** The individual a person gave one annotation, or null. */
  givenIndividualOf(annotationId: number): number | null {
    return (
      this.db.prepare<[number], { given: number | null }>('SELECT given_individual_id AS given FROM annotations WHERE id = ?').get(annotationId)?.given ??
      null
    );
  }

  /** Annotations a person gave this individual. */
  givenTo(individualId: number): number[] {
    return this.db
      .prepare<[number], { id: number }>(`SELECT id FROM annotations WHERE given_individual_id = ? AND ${LIVE} ORDER BY id`)
      .all(individualId)
      .map((row) => row.id);
  }

  setSide(annotationId: number, side: string | null): void {
    this.setSideStatement.run(side, annotationId);
  }

  /** Adds a whole-photo annotation to every image that has none (photos not described by a CSV). */
  addWholeImageWhereMissing(imageIds: number[]): number {
    const insert = this.db.prepare(
      `INSERT INTO annotations (image_id, theta, source, created_at)
       SELECT ?, 0, 'whole-image', ? WHERE NOT EXISTS (SELECT 1 FROM annotations WHERE image_id = ?)`,
    );
    const now = new Date().toISOString();
    let added = 0;
    for (const imageId of imageIds) added += insert.run(imageId, now, imageId).changes;
    return added;
  }

  counts(): { annotations: number; named: number } {
    return this.db
      .prepare<[], { annotations: number; named: number }>(
        `SELECT count(*) AS annotations, count(individual_id) AS named FROM annotations WHERE ${LIVE}`,
      )
      .get()!;
  }

  /** Annotations with photo and name, by id, by individual, or a page of all of them in id order. */
  view(filter: ViewFilter = {}): { total: number; annotations: Annotation[] } {
    if (filter.ids) {
      const rows = this.db
        .prepare<[string], ViewRow>(
          `SELECT ${VIEW_COLUMNS} FROM ${VIEW_FROM} WHERE a.id IN (SELECT value FROM json_each(?)) AND a.${LIVE} ORDER BY a.id`,
        )
        .all(JSON.stringify(filter.ids));
      return { total: rows.length, annotations: rows.map(toView) };
    }
    // NULL means every individual; -1 is SQLite's "no limit".
    const individualId = filter.individualId ?? null;
    const imageId = filter.imageId ?? null;
    const where = `WHERE (@individualId IS NULL OR a.individual_id = @individualId) AND (@imageId IS NULL OR a.image_id = @imageId) AND a.${LIVE}`;
    const total = this.db
      .prepare<[{ individualId: number | null; imageId: number | null }], { total: number }>(`SELECT count(*) AS total FROM annotations a ${where}`)
      .get({ individualId, imageId })!.total;
    const rows = this.db
      .prepare<[{ individualId: number | null; imageId: number | null; limit: number; offset: number }], ViewRow>(
        `SELECT ${VIEW_COLUMNS} FROM ${VIEW_FROM} ${where} ORDER BY a.id LIMIT @limit OFFSET @offset`,
      )
      .all({ individualId, imageId, limit: filter.limit ?? -1, offset: filter.offset ?? 0 });
    return { total, annotations: rows.map(toView) };
  }

  /** Facts the candidate filters need, for a set of annotations. */
  facts(ids: number[]): Map<number, { imageId: number; side: string | null; individualId: number | null }> {
    const rows = this.db
      .prepare<[string], { id: number; image_id: number; side: string | null; individual_id: number | null }>(
        `SELECT id, image_id, side, individual_id FROM annotations WHERE id IN (SELECT value FROM json_each(?)) AND ${LIVE}`,
      )
      .all(JSON.stringify(ids));
    return new Map(rows.map((row) => [row.id, { imageId: row.image_id, side: row.side, individualId: row.individual_id }]));
  }

  /** Every annotation's photo, side and individual, for the review queue. */
  allFacts(): Map<number, { id: number; imageId: number; side: string | null; individualId: number | null }> {
    const rows = this.db
      .prepare<[], [number, number, string | null, number | null]>(`SELECT id, image_id, side, individual_id FROM annotations WHERE ${LIVE}`)
      .raw()
      .all();
    return new Map(rows.map(([id, imageId, side, individualId]) => [id, { id, imageId, side, individualId }]));
  }
}
