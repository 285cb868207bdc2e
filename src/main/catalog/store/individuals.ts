import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import type { IndividualRef } from '../../../shared/api.ts';

const INDIVIDUAL_COLUMNS = 'id, name';
interface IndividualRow {
  id: number;
  name: string;
}

export class IndividualsStore {
  private readonly byNameStatement;
  private readonly byIdStatement;
  private readonly insertStatement;

  constructor(private readonly db: Database.Database) {
    this.byNameStatement = db.prepare<[string], IndividualRow>(`SELECT ${INDIVIDUAL_COLUMNS} FROM individuals WHERE name = ?`);
    this.byIdStatement = db.prepare<[number], IndividualRow>(`SELECT ${INDIVIDUAL_COLUMNS} FROM individuals WHERE id = ?`);
    this.insertStatement = db.prepare('INSERT INTO individuals (name, created_at, named) VALUES (?, ?, ?)');
  }

  byName(name: string): IndividualRef | undefined {
    return this.byNameStatement.get(name);
  }

  byId(id: number): IndividualRef | undefined {
    return this.byIdStatement.get(id);
  }

  /** `named`: the name comes from a person (an import), not generated for a "same" decision. */
  create(name: string, named = true): IndividualRef {
    const { lastInsertRowid } = this.insertStatement.run(name, new Date().toISOString(), named ? 1 : 0);
    return { id: Number(lastInsertRowid), name };
  }

  findOrCreate(name: string): IndividualRef {
    return this.byName(name) ?? this.create(name);
  }

  /** Individuals whose names a person gave (an import or a rename): one name is one animal. */
  namedIds(): Set<number> {
    return new Set(
      this.db
        .prepare<[], { id: number }>('SELECT id FROM individuals WHERE named = 1')
        .all()
        .map((row) => row.id),
    );
  }

  /** Whether a person gave this individual its name. */
  isNamed(id: number): boolean {
    return this.db.prepare<[number], { named: number }>('SELECT named FROM individuals WHERE id = ?').get(id)?.named === 1;
  }

  /**
   * Renames and logs the change (the log is append-only, so every earlier name stays on record).
   * `origin`: the team event whose rename a sync applies (src/main/team); none for a rename made here.
   */
  rename(id: number, oldName: string, newName: string, reviewer: string | null, origin: string | null = null): void {
    // A name a person gives makes the individual a catalogued animal, like an imported name.
    this.db.prepare('UPDATE individuals SET name = ?, named = 1 WHERE id = ?').run(newName, id);
    this.db
      .prepare('INSERT INTO name_changes (uid, individual_id, old_name, new_name, reviewer, created_at, origin) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(randomUUID(), id, oldName, newName, reviewer, new Date().toISOString(), origin);
  }

  /** Names of the form `<prefix><digits>`, for generating the next free one. */
  /** The highest number N of the names `<prefix>N` (digits only after the prefix), 0 where there is none. */
  highestNumbered(prefix: string): number {
    const row = this.db
      .prepare<[number, number, string, number, number], { n: number | null }>(
        `SELECT MAX(CAST(substr(name, ?) AS INTEGER)) AS n FROM individuals
         WHERE substr(name, 1, ?) = ? AND length(name) > ? AND substr(name, ? + 1) NOT GLOB '*[^0-9]*'`,
      )
      .get(prefix.length + 1, prefix.length, prefix, prefix.length, prefix.length);
    return row?.n ?? 0;
  }

  /** Individuals that have at least one annotation, by name. */
  withAnnotations(): IndividualRef[] {
    return this.db
      .prepare<[], IndividualRow>(
        `SELECT ${INDIVIDUAL_COLUMNS} FROM individuals n WHERE EXISTS (SELECT 1 FROM annotations a WHERE a.individual_id = n.id AND a.deleted_at IS NULL) ORDER BY name`,
      )
      .all();
  }

  annotationCount(id: number): number {
    return this.db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM annotations WHERE individual_id = ? AND deleted_at IS NULL').get(id)!.n;
  }
}
