import type Database from 'better-sqlite3';

/**
 * Prepares each SQL text once per connection. For statements whose text is only known at run time
 * (a vector table per dimension); fixed statements are prepared in their store's constructor.
 */
export function statementCache(db: Database.Database) {
  const cache = new Map<string, Database.Statement>();
  return <P extends unknown[] | object = unknown[], R = unknown>(sql: string): Database.Statement<P, R> => {
    let statement = cache.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      cache.set(sql, statement);
    }
    return statement as unknown as Database.Statement<P, R>;
  };
}
