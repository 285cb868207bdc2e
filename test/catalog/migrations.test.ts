import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as sqliteVec from 'sqlite-vec';
import { describe, expect, it } from 'vitest';
import { catalogFile } from '../../src/main/catalog/layout.ts';
import { CatalogStore } from '../../src/main/catalog/store/catalog-store.ts';
import { APPLICATION_ID } from '../../src/main/catalog/store/connection.ts';
import { MIGRATIONS, SCHEMA_VERSION, migrate, schemaVersion } from '../../src/main/catalog/store/migrations.ts';
import { tempFolder } from './helpers.ts';

function memoryDatabase(): Database.Database {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  sqliteVec.load(db);
  return db;
}

const tableNames = (db: Database.Database): string[] =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((row) => row.name);

describe('migrations', () => {
  it('apply one by one on an in-memory database, each bumping user_version', () => {
    const db = memoryDatabase();
    expect(schemaVersion(db)).toBe(0);
    for (let version = 1; version <= MIGRATIONS.length; version++) {
      migrate(db, MIGRATIONS.slice(0, version));
      expect(schemaVersion(db)).toBe(version);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
    }
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('the evidence migration keeps what a person gave each annotation, not what decisions moved it to', () => {
    const db = memoryDatabase();
    const evidence = MIGRATIONS.findIndex((migration) => migration.name === 'v4Evidence');
    expect(evidence).toBeGreaterThan(0);
    migrate(db, MIGRATIONS.slice(0, evidence));
    const now = '2026-01-01T00:00:00.000Z';
    db.exec(`
      INSERT INTO images (id, sha256, path, width, height, added_at) VALUES (1, 'x', 'a.jpg', 10, 10, '${now}');
      INSERT INTO individuals (id, name, created_at, named) VALUES (1, 'Alice', '${now}', 1), (2, 'Bob', '${now}', 1), (3, 'ind-0001', '${now}', 0);
      -- 1, 2 imported as Alice; 5 imported as Bob and later merged into Alice; 3, 4 joined by "same" into ind-0001.
      INSERT INTO annotations (id, image_id, side, individual_id, source, created_at) VALUES
        (1, 1, 'left', 1, 'csv', '${now}'), (2, 1, 'left', 1, 'csv', '${now}'), (3, 1, 'left', 3, 'whole-image', '${now}'),
        (4, 1, 'left', 3, 'whole-image', '${now}'), (5, 1, 'left', 1, 'csv', '${now}'), (6, 1, 'left', NULL, 'whole-image', '${now}');
      INSERT INTO decisions (id, annotation_a, annotation_b, verdict, merge, created_at) VALUES
        (1, 3, 4, 'same', NULL, '${now}'), (2, 5, 1, 'same', 'keep-b', '${now}');
      INSERT INTO decision_effects VALUES (1, 3, NULL, 3), (1, 4, NULL, 3), (2, 5, 2, 1);
    `);
    migrate(db, MIGRATIONS.slice(0, evidence + 1));
    expect(db.prepare('SELECT id, individual_id AS now, given_individual_id AS given FROM annotations ORDER BY id').all()).toEqual([
      { id: 1, now: 1, given: 1 },
      { id: 2, now: 1, given: 1 },
      { id: 3, now: 3, given: null },
      { id: 4, now: 3, given: null },
      { id: 5, now: 1, given: 2 },
      { id: 6, now: null, given: null },
    ]);
    expect(db.prepare('SELECT batch FROM decisions').all()).toEqual([{ batch: null }, { batch: null }]);
  });

  it('version 1 creates the catalog tables', () => {
    const db = memoryDatabase();
    migrate(db, MIGRATIONS.slice(0, 1));
    expect(tableNames(db)).toEqual(
      expect.arrayContaining(['images', 'image_files', 'annotations', 'individuals', 'name_changes', 'models', 'embeddings', 'candidate_pairs', 'decisions', 'decision_effects', 'jobs', 'settings']),
    );
  });

  it('is a no-op on a current database', () => {
    const db = memoryDatabase();
    migrate(db);
    const before = db.prepare('SELECT sql FROM sqlite_master ORDER BY name').all();
    migrate(db);
    expect(db.prepare('SELECT sql FROM sqlite_master ORDER BY name').all()).toEqual(before);
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
  });

  it('rolls a failing migration back and keeps the previous version', () => {
    const db = memoryDatabase();
    const failing = (d: Database.Database) => {
      d.exec('CREATE TABLE half_done (x INTEGER)');
      throw new Error('boom');
    };
    expect(() => migrate(db, [...MIGRATIONS, failing])).toThrow('boom');
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(tableNames(db)).not.toContain('half_done');
  });

  it('refuses a database from a newer version', () => {
    const db = memoryDatabase();
    migrate(db);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    expect(() => migrate(db)).toThrow(/created by a newer version of pairx/);
  });

  it('keeps the decision log append-only and its rows well-formed', () => {
    const db = memoryDatabase();
    migrate(db);
    const now = new Date().toISOString();
    db.prepare("INSERT INTO images (sha256, path, width, height, added_at) VALUES ('h', 'a.jpg', 10, 10, ?)").run(now);
    db.prepare("INSERT INTO annotations (image_id, source, created_at) VALUES (1, 'whole-image', ?), (1, 'whole-image', ?)").run(now, now);
    const decide = db.prepare('INSERT INTO decisions (annotation_a, annotation_b, verdict, created_at, undoes) VALUES (?, ?, ?, ?, ?)');
    decide.run(1, 2, 'same', now, null);
    expect(() => db.prepare("UPDATE decisions SET verdict = 'different'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM decisions').run()).toThrow(/append-only/);
    expect(() => decide.run(1, 2, 'maybe', now, null)).toThrow(/CHECK/);
    expect(() => decide.run(1, 1, 'same', now, null)).toThrow(/CHECK/);
    expect(() => decide.run(1, 2, 'undo', now, null)).toThrow(/CHECK/);
    expect(() => decide.run(1, 2, 'same', now, 1)).toThrow(/CHECK/);
    expect(() => decide.run(1, 3, 'same', now, null)).toThrow(/FOREIGN KEY/);
    decide.run(1, 2, 'undo', now, 1);
    expect(() => decide.run(1, 2, 'undo', now, 1)).toThrow(/UNIQUE/);
    expect(() => db.prepare('DELETE FROM annotations WHERE id = 1').run()).toThrow(/FOREIGN KEY/);
  });
});

describe('opening a catalog', () => {
  it('init creates .pairx/catalog.sqlite in WAL mode, marked as ours', () => {
    const root = tempFolder();
    const store = CatalogStore.init(root);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    store.close();
    expect(() => CatalogStore.init(root)).toThrow(/already a pairx catalog/);
    CatalogStore.open(root).close();
  });

  it('explains a folder that is not a catalog', () => {
    const root = tempFolder();
    expect(() => CatalogStore.open(root)).toThrow(`${root} is not a pairx catalog (run \`pairx catalog init ${root}\`)`);
    expect(() => CatalogStore.open(join(root, 'nowhere'))).toThrow(/does not exist/);
  });

  it('refuses a file that is not SQLite', () => {
    const root = tempFolder();
    CatalogStore.init(root).close();
    writeFileSync(catalogFile(root), 'just some text, long enough to look like a file header and more '.repeat(20));
    expect(() => CatalogStore.open(root)).toThrow(/not an SQLite database/);
  });

  it('refuses an SQLite file of another program', () => {
    const root = tempFolder();
    CatalogStore.init(root).close();
    const file = catalogFile(root);
    writeFileSync(file, '');
    const other = new Database(file);
    other.exec('CREATE TABLE notes (text TEXT)');
    other.close();
    expect(() => CatalogStore.open(root)).toThrow(/another program, not a pairx catalog/);
  });

  it('refuses a catalog from a newer version', () => {
    const root = tempFolder();
    const store = CatalogStore.init(root);
    store.db.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    store.close();
    expect(() => CatalogStore.open(root)).toThrow(/created by a newer version of pairx/);
  });
});
