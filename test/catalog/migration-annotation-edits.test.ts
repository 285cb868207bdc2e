import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../src/main/catalog/store/migrations.ts';

describe('migration v3AnnotationEdits', () => {
  it('brings a catalog with annotations to the edit history, keeping every row live', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    sqliteVec.load(db);
    const at = MIGRATIONS.findIndex((migration) => migration.name === 'v3AnnotationEdits');
    expect(at).toBeGreaterThan(0);
    migrate(db, MIGRATIONS.slice(0, at));
    db.prepare("INSERT INTO images (sha256, path, width, height, added_at) VALUES ('h', 'a.jpg', 100, 80, 't')").run();
    db.prepare("INSERT INTO annotations (image_id, x, y, w, h, theta, source, created_at) VALUES (1, 1, 2, 30, 40, 0, 'a.csv:2', 't')").run();
    migrate(db, MIGRATIONS.slice(0, at + 1));
    expect(db.prepare('SELECT x, deleted_at, detection_conf FROM annotations').get()).toEqual({ x: 1, deleted_at: null, detection_conf: null });
    db.prepare(`INSERT INTO annotation_edits (annotation_id, kind, origin, after, created_at) VALUES (1, 'change', 'person', '{}', 't')`).run();
    expect(() => db.prepare('UPDATE annotation_edits SET kind = ?').run('add')).toThrow(/append-only/);
    expect(() => db.prepare(`INSERT INTO annotation_edits (annotation_id, kind, origin, after, created_at) VALUES (1, 'undo', 'person', '{}', 't')`).run()).toThrow(/CHECK/);
    expect(db.pragma('foreign_key_check')).toEqual([]);
  });
});
