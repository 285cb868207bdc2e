import type Database from 'better-sqlite3';
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

  /** Renames and logs the change (the log is append-only, so every earlier name stays on record). */
  rename(id: number, oldName: string, newName: string, reviewer: string | null): void {
    // A name a person gives makes the individual a catalogued animal, like an imported name.
    this.db.prepare('UPDATE individuals SET name = ?, named = 1 WHERE id = ?').run(newName, id);
    this.db
      .prepare('INSERT INTO name_changes (individual_id, old_name, new_name, reviewer, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, oldName, newName, reviewer, new Date().toISOString());
  }

  /** Names of the form `<prefix><digits>`, for generating the next free one. */
  namesWithPrefix(prefix: string): string[] {
    return this.db
      .prepare<[number, string], { name: string }>('SELECT name FROM individuals WHERE substr(name, 1, ?) = ?')
      .all(prefix.length, prefix)
      .map((row) => row.name);
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
