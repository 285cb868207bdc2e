import type Database from 'better-sqlite3';
import type { JobInfo } from '../../../shared/api.ts';
import { processAlive } from '../../jobs/process-alive.ts';

const JOB_COLUMNS = 'id, kind, state, done, total, pid, started_at, updated_at, error';
interface JobRow {
  id: number;
  kind: string;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  done: number;
  total: number | null;
  pid: number | null;
  started_at: string;
  updated_at: string;
  error: string | null;
}

/**
 * A row stays 'running' when its process was killed; it reads as 'interrupted' once that process is
 * gone. (A pid reused by an unrelated process makes it look alive: harmless, since resuming only needs the
 * same command run again.)
 */
const toJob = (row: JobRow): JobInfo => ({
  id: row.id,
  kind: row.kind,
  state: row.state === 'running' && !processAlive(row.pid) ? 'interrupted' : row.state,
  done: row.done,
  total: row.total,
  startedAt: row.started_at,
  updatedAt: row.updated_at,
  error: row.error,
});

export class JobsStore {
  constructor(private readonly db: Database.Database) {}

  get open(): boolean {
    return this.db.open;
  }

  start(kind: string, params: unknown): number {
    const now = new Date().toISOString();
    const { lastInsertRowid } = this.db
      .prepare("INSERT INTO jobs (kind, params, state, pid, started_at, updated_at) VALUES (?, ?, 'running', ?, ?, ?)")
      .run(kind, JSON.stringify(params), process.pid, now, now);
    return Number(lastInsertRowid);
  }

  progress(id: number, done: number, total: number | null): void {
    this.db.prepare('UPDATE jobs SET done = ?, total = ?, updated_at = ? WHERE id = ?').run(done, total, new Date().toISOString(), id);
  }

  finish(id: number, state: 'done' | 'cancelled' | 'failed', error: string | null = null): void {
    const now = new Date().toISOString();
    this.db.prepare('UPDATE jobs SET state = ?, error = ?, updated_at = ?, finished_at = ? WHERE id = ?').run(state, error, now, now, id);
  }

  /** Jobs never finished: still running elsewhere, or interrupted. An interrupted one is superseded by a later run of its kind. */
  unfinished(): JobInfo[] {
    return this.db
      .prepare<[], JobRow>(
        `SELECT ${JOB_COLUMNS} FROM jobs j WHERE state = 'running'
           AND NOT EXISTS (SELECT 1 FROM jobs later WHERE later.kind = j.kind AND later.id > j.id AND later.state <> 'running')
         ORDER BY id`,
      )
      .all()
      .map(toJob);
  }
}
