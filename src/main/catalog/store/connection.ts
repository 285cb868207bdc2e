import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { CatalogError } from '../errors.ts';
import { SCHEMA_VERSION, migrate, refuseNewer, schemaVersion } from './migrations.ts';

/** Written to the SQLite header's application_id ("PAIR") so that another program's database is recognised as such. */
export const APPLICATION_ID = 0x50414952;

export interface OpenOptions {
  readonly?: boolean;
}

/**
 * better-sqlite3's compiled binding: the one in node_modules, or PAIRX_SQLITE_BINDING's (the desktop app
 * in a development checkout loads one built for Electron from there; see src/main/electron-native.ts).
 */
function nativeBinding(): { nativeBinding?: string } {
  const binding = process.env.PAIRX_SQLITE_BINDING;
  if (!binding) return {};
  if (!existsSync(binding)) {
    throw new CatalogError(`PAIRX_SQLITE_BINDING names ${binding}, which does not exist (run npm start's prestart again)`);
  }
  return { nativeBinding: binding };
}

function configure(db: Database.Database, readonly: boolean): void {
  // Another process (an import job, a second window) may hold the write lock for one short transaction.
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL loses no committed transaction when the process is killed, only on power loss,
    // and saves an fsync per commit: imports commit once per photo.
    db.pragma('synchronous = NORMAL');
  }
  sqliteVec.load(db);
}

/** Creates a new catalog database file; the file must not exist yet. */
export function createCatalogDatabase(file: string): Database.Database {
  const db = new Database(file, nativeBinding());
  try {
    db.pragma(`application_id = ${APPLICATION_ID}`);
    configure(db, false);
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Opens an existing catalog database, checking it is ours and not from a newer version, and migrates it. */
export function openCatalogDatabase(file: string, options: OpenOptions = {}): Database.Database {
  const readonly = options.readonly ?? false;
  const db = new Database(file, { fileMustExist: true, readonly, ...nativeBinding() });
  try {
    let applicationId: number;
    try {
      applicationId = db.pragma('application_id', { simple: true }) as number;
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_NOTADB') {
        throw new CatalogError(`${file} is not an SQLite database, so not a pairx catalog (damaged or replaced?)`);
      }
      throw error;
    }
    if (applicationId !== APPLICATION_ID) {
      throw new CatalogError(`${file} is an SQLite database of another program, not a pairx catalog`);
    }
    refuseNewer(db);
    configure(db, readonly);
    if (readonly) {
      if (schemaVersion(db) < SCHEMA_VERSION) {
        throw new CatalogError(`${file} uses an older schema; open it once for writing to upgrade it`);
      }
    } else {
      migrate(db);
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
