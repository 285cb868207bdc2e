import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCatalogDatabase, openCatalogDatabase } from '../../src/main/catalog/store/connection.ts';
import { ELECTRON_SQLITE_BINDING, electronSqliteBinding } from '../../src/main/electron-native.ts';

/**
 * The desktop app in a development checkout loads better-sqlite3 built for Electron from beside Node's
 * build (PAIRX_SQLITE_BINDING); Node's own build here stands in for Electron's.
 */
const require = createRequire(import.meta.url);
const NODE_BINDING = join(
  dirname(require.resolve('better-sqlite3/package.json')),
  'build/Release/better_sqlite3.node',
);

describe('better-sqlite3 binding for the desktop app', () => {
  const folders: string[] = [];
  const temp = () => {
    const folder = mkdtempSync(join(tmpdir(), 'pairx-binding-'));
    folders.push(folder);
    return folder;
  };
  afterEach(() => {
    delete process.env.PAIRX_SQLITE_BINDING;
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });

  it('opens catalogs through the binding PAIRX_SQLITE_BINDING names', () => {
    const checkout = temp();
    const binding = join(checkout, ELECTRON_SQLITE_BINDING);
    mkdirSync(dirname(binding), { recursive: true });
    copyFileSync(NODE_BINDING, binding);
    process.env.PAIRX_SQLITE_BINDING = electronSqliteBinding(checkout, false);
    expect(process.env.PAIRX_SQLITE_BINDING).toBe(binding);
    const file = join(temp(), 'catalog.sqlite');
    createCatalogDatabase(file).close();
    const db = openCatalogDatabase(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('really loads that binding (a file that is none fails)', () => {
    const fake = join(temp(), 'better_sqlite3.node');
    writeFileSync(fake, 'not a shared library');
    process.env.PAIRX_SQLITE_BINDING = fake;
    expect(() => createCatalogDatabase(join(temp(), 'catalog.sqlite'))).toThrow();
  });

  it('names a missing binding in one line instead of failing inside better-sqlite3', () => {
    process.env.PAIRX_SQLITE_BINDING = join(temp(), 'nowhere/better_sqlite3.node');
    expect(() => createCatalogDatabase(join(temp(), 'catalog.sqlite'))).toThrow(
      /PAIRX_SQLITE_BINDING names .*nowhere\/better_sqlite3\.node, which does not exist/,
    );
  });

  it('uses node_modules’ own build when packaged or when the prestart rebuilt in place', () => {
    const checkout = temp();
    expect(electronSqliteBinding(checkout, false)).toBeUndefined();
    mkdirSync(dirname(join(checkout, ELECTRON_SQLITE_BINDING)), { recursive: true });
    copyFileSync(NODE_BINDING, join(checkout, ELECTRON_SQLITE_BINDING));
    expect(electronSqliteBinding(checkout, true)).toBeUndefined();
  });

  it('looks where npm start’s prestart puts it', async () => {
    const prestart = await import('../../tools/electron-native.mjs');
    expect(prestart.ELECTRON_SQLITE_BINDING).toBe(ELECTRON_SQLITE_BINDING);
  });
});
