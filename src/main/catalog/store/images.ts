import type Database from 'better-sqlite3';

export interface ImageRecord {
  id: number;
  sha256: string;
  path: string;
  width: number;
  height: number;
  orientation: number | null;
  capturedAt: string | null;
  gpsLat: number | null;
  gpsLon: number | null;
  thumbnail: string | null;
  addedAt: string;
}
export type NewImage = Omit<ImageRecord, 'id' | 'addedAt'>;

/** A file path known to hold an image, with the size and mtime a re-import compares to skip it. */
export interface ImageFile {
  path: string;
  imageId: number;
  size: number;
  mtimeMs: number;
}

const IMAGE_COLUMNS = 'id, sha256, path, width, height, orientation, captured_at, gps_lat, gps_lon, thumbnail, added_at';
interface ImageRow {
  id: number;
  sha256: string;
  path: string;
  width: number;
  height: number;
  orientation: number | null;
  captured_at: string | null;
  gps_lat: number | null;
  gps_lon: number | null;
  thumbnail: string | null;
  added_at: string;
}
const toImage = (row: ImageRow): ImageRecord => ({
  id: row.id,
  sha256: row.sha256,
  path: row.path,
  width: row.width,
  height: row.height,
  orientation: row.orientation,
  capturedAt: row.captured_at,
  gpsLat: row.gps_lat,
  gpsLon: row.gps_lon,
  thumbnail: row.thumbnail,
  addedAt: row.added_at,
});

/** A photo with the animals marked on it (see ImagesStore.photos). */
export interface PhotoRow {
  id: number;
  path: string;
  width: number;
  height: number;
  annotations: number;
  boxes: number;
  capturedAt: string | null;
}

const FILE_COLUMNS = 'path, image_id, size, mtime_ms';
interface FileRow {
  path: string;
  image_id: number;
  size: number;
  mtime_ms: number;
}
const toFile = (row: FileRow): ImageFile => ({ path: row.path, imageId: row.image_id, size: row.size, mtimeMs: row.mtime_ms });

export class ImagesStore {
  private readonly byHashStatement;
  private readonly byIdStatement;
  private readonly insertStatement;
  private readonly setPathStatement;
  private readonly fileStatement;
  private readonly upsertFileStatement;
  private readonly deleteFileStatement;
  private readonly filesUnderStatement;
  private readonly filesOfStatement;

  constructor(private readonly db: Database.Database) {
    this.byHashStatement = db.prepare<[string], ImageRow>(`SELECT ${IMAGE_COLUMNS} FROM images WHERE sha256 = ?`);
    this.byIdStatement = db.prepare<[number], ImageRow>(`SELECT ${IMAGE_COLUMNS} FROM images WHERE id = ?`);
    this.insertStatement = db.prepare(
      `INSERT INTO images (sha256, path, width, height, orientation, captured_at, gps_lat, gps_lon, thumbnail, added_at)
       VALUES (@sha256, @path, @width, @height, @orientation, @capturedAt, @gpsLat, @gpsLon, @thumbnail, @addedAt)`,
    );
    this.setPathStatement = db.prepare('UPDATE images SET path = ? WHERE id = ?');
    this.fileStatement = db.prepare<[string], FileRow>(`SELECT ${FILE_COLUMNS} FROM image_files WHERE path = ?`);
    this.upsertFileStatement = db.prepare(
      `INSERT INTO image_files (path, image_id, size, mtime_ms, seen_at) VALUES (@path, @imageId, @size, @mtimeMs, @seenAt)
       ON CONFLICT (path) DO UPDATE SET image_id = excluded.image_id, size = excluded.size,
         mtime_ms = excluded.mtime_ms, seen_at = excluded.seen_at`,
    );
    this.deleteFileStatement = db.prepare('DELETE FROM image_files WHERE path = ?');
    // substr rather than LIKE: file names may contain LIKE's wildcards.
    this.filesUnderStatement = db.prepare<[string, number, string], FileRow>(
      `SELECT ${FILE_COLUMNS} FROM image_files WHERE ? = '' OR substr(path, 1, ?) = ?`,
    );
    this.filesOfStatement = db.prepare<[number], FileRow>(`SELECT ${FILE_COLUMNS} FROM image_files WHERE image_id = ? ORDER BY path`);
  }

  byHash(sha256: string): ImageRecord | undefined {
    const row = this.byHashStatement.get(sha256);
    return row && toImage(row);
  }

  byId(id: number): ImageRecord | undefined {
    const row = this.byIdStatement.get(id);
    return row && toImage(row);
  }

  insert(image: NewImage): ImageRecord {
    const addedAt = new Date().toISOString();
    const { lastInsertRowid } = this.insertStatement.run({ ...image, addedAt });
    return { ...image, id: Number(lastInsertRowid), addedAt };
  }

  /** Capture time and position from an imported file, where the photo's own EXIF gave none. */
  fillCaptureFacts(imageId: number, facts: { capturedAt: string | null; gpsLat: number | null; gpsLon: number | null }): void {
    if (facts.capturedAt !== null) this.db.prepare('UPDATE images SET captured_at = ? WHERE id = ? AND captured_at IS NULL').run(facts.capturedAt, imageId);
    if (facts.gpsLat !== null && facts.gpsLon !== null) {
      this.db.prepare('UPDATE images SET gps_lat = ?, gps_lon = ? WHERE id = ? AND gps_lat IS NULL AND gps_lon IS NULL').run(facts.gpsLat, facts.gpsLon, imageId);
    }
  }

  setPath(imageId: number, path: string): void {
    this.setPathStatement.run(path, imageId);
  }

  file(path: string): ImageFile | undefined {
    const row = this.fileStatement.get(path);
    return row && toFile(row);
  }

  upsertFile(file: ImageFile): void {
    this.upsertFileStatement.run({ ...file, seenAt: new Date().toISOString() });
  }

  deleteFile(path: string): void {
    this.deleteFileStatement.run(path);
  }

  /** Known files at or below a folder (relative, '/'-separated; '' for the whole catalog). */
  filesUnder(folder: string): ImageFile[] {
    const prefix = folder === '' ? '' : `${folder}/`;
    return this.filesUnderStatement.all(prefix, prefix.length, prefix).map(toFile);
  }

  filesOf(imageId: number): ImageFile[] {
    return this.filesOfStatement.all(imageId).map(toFile);
  }

  /**
   * Photos in path order with the animals marked on each: live annotations, and of them those with a
   * box. `animals` 'none' keeps photos with no box (no annotation, or the whole photo only), 'several'
   * those with two or more annotations.
   */
  photos(filter: { animals: 'any' | 'none' | 'several'; offset: number; limit: number }): { total: number; photos: PhotoRow[] } {
    const counted = `SELECT i.id, i.path, i.width, i.height, i.captured_at,
        (SELECT count(*) FROM annotations a WHERE a.image_id = i.id AND a.deleted_at IS NULL) AS annotations,
        (SELECT count(*) FROM annotations a WHERE a.image_id = i.id AND a.deleted_at IS NULL AND a.x IS NOT NULL) AS boxes
      FROM images i`;
    const where = { any: '', none: 'WHERE boxes = 0', several: 'WHERE annotations >= 2' }[filter.animals];
    const total = this.db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM (${counted}) ${where}`).get()!.n;
    const rows = this.db
      .prepare<[number, number], { id: number; path: string; width: number; height: number; captured_at: string | null; annotations: number; boxes: number }>(
        `SELECT * FROM (${counted}) ${where} ORDER BY path LIMIT ? OFFSET ?`,
      )
      .all(filter.limit, filter.offset);
    return {
      total,
      photos: rows.map((row) => ({
        id: row.id,
        path: row.path,
        width: row.width,
        height: row.height,
        annotations: row.annotations,
        boxes: row.boxes,
        capturedAt: row.captured_at,
      })),
    };
  }

  counts(): { images: number; missing: number } {
    return this.db
      .prepare<[], { images: number; missing: number }>(
        `SELECT count(*) AS images,
                coalesce(sum(NOT EXISTS (SELECT 1 FROM image_files f WHERE f.image_id = images.id)), 0) AS missing
         FROM images`,
      )
      .get()!;
  }
}
