import type Database from 'better-sqlite3';

/** Small catalog-wide values, stored as JSON. */
export class SettingsStore {
  // Prepared once: the evidence model reads settings per reviewer inside loops over the whole log.
  private readonly read: Database.Statement<[string], { value: string }>;

  constructor(private readonly db: Database.Database) {
    this.read = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?');
  }

  get<T>(key: string): T | undefined {
    const row = this.read.get(key);
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  set(key: string, value: unknown): void {
    this.db
      .prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(key, JSON.stringify(value));
  }
}
