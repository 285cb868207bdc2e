import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../src/main/catalog/store/migrations.ts';

/** The catalog's team-sync migration: a uid for every decision and rename made before it, required after. */
describe('catalog migration for team sync', () => {
  it('gives every decision and rename logged before it a unique uid, and refuses one without from then on', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    sqliteVec.load(db);
    const team = MIGRATIONS.findIndex((migration) => /TeamSync$/.test(migration.name));
    expect(team).toBeGreaterThan(0);
    migrate(db, MIGRATIONS.slice(0, team));
    const now = new Date().toISOString();
    db.prepare("INSERT INTO images (sha256, path, width, height, added_at) VALUES ('h', 'a.jpg', 10, 10, ?)").run(now);
    db.prepare("INSERT INTO annotations (image_id, source, created_at) VALUES (1, 'whole-image', ?), (1, 'whole-image', ?)").run(now, now);
    db.prepare("INSERT INTO individuals (name, created_at) VALUES ('Alice', ?)").run(now);
    const decide = db.prepare('INSERT INTO decisions (annotation_a, annotation_b, verdict, created_at, undoes) VALUES (1, 2, ?, ?, ?)');
    decide.run('same', now, null);
    decide.run('undo', now, 1);
    db.prepare("INSERT INTO name_changes (individual_id, old_name, new_name, created_at) VALUES (1, 'Alice', 'Alicia', ?)").run(now);

    migrate(db);
    const uids = db.prepare('SELECT uid FROM decisions UNION ALL SELECT uid FROM name_changes').pluck().all() as string[];
    expect(uids).toHaveLength(3);
    for (const uid of uids) expect(uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(uids).size).toBe(3);
    expect(() => decide.run('different', now, null)).toThrow('a decision needs its uid');
    expect(() => db.prepare("UPDATE decisions SET uid = 'x'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM name_changes').run()).toThrow(/append-only/);
    expect(() => db.prepare("INSERT INTO decisions (uid, annotation_a, annotation_b, verdict, created_at) VALUES (?, 1, 2, 'same', ?)").run(uids[0], now)).toThrow(/UNIQUE/);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });
});
