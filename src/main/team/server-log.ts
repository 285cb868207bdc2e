import type pg from 'pg';
import { Features, TeamEvent, type AnnotationRow, type PhotoRow, type ReceivedEvent } from './events.ts';
import { PUSH_LOCK } from './server-schema.ts';

/**
 * All SQL against the team store's log (the schema is server-schema.ts's). A push is one transaction
 * that inserts what the store has not got (ON CONFLICT on uid or key: pushing again adds nothing) under
 * an advisory lock, so that receipt numbers are committed in order; a pull reads events past a receipt
 * number, in that order, a page at a time.
 */

/** Rows per INSERT statement (one JSON parameter each). */
const PUSH_CHUNK = 2000;
export const PULL_PAGE = 5000;

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
};

/** An event as the events table's columns. */
function eventColumns(event: TeamEvent) {
  const base = { uid: event.uid, kind: event.kind, catalog: event.catalog, reviewer: event.reviewer, created_at: event.createdAt };
  switch (event.kind) {
    case 'decision':
      return {
        ...base,
        verdict: event.verdict,
        merge: event.merge,
        note: event.note,
        annotation_a: event.a,
        annotation_b: event.b,
        undoes: event.undoes,
        batch: event.batch,
        features: event.features,
      };
    case 'rename':
      return { ...base, members: event.members, old_name: event.oldName, name: event.name };
    case 'name':
      return { ...base, annotation_a: event.annotation, name: event.name };
    case 'accuracy':
      return { ...base, subject: event.subject, accuracy: event.accuracy };
  }
}

export interface PushBatch {
  photos: PhotoRow[];
  annotations: AnnotationRow[];
  /** In the order they were made here: the store numbers them in this order. */
  events: TeamEvent[];
}

/**
 * Inserts what the store has not got, in one transaction; answers how many decisions, undo entries and
 * renames were new to it (names people gave travel too, uncounted: every catalog that imported the file
 * sends the same ones).
 */
export async function pushToStore(client: pg.Client, batch: PushBatch): Promise<number> {
  let added = 0;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [PUSH_LOCK]);
    for (const rows of chunks(batch.photos, PUSH_CHUNK)) {
      await client.query(
        `INSERT INTO pairx.photos (sha256, width, height, file_name)
         SELECT r.sha256, r.width, r.height, r.file_name
         FROM jsonb_to_recordset($1::jsonb) AS r(sha256 text, width integer, height integer, file_name text)
         ON CONFLICT (sha256) DO NOTHING`,
        [JSON.stringify(rows.map((photo) => ({ sha256: photo.sha256, width: photo.width, height: photo.height, file_name: photo.fileName })))],
      );
    }
    for (const rows of chunks(batch.annotations, PUSH_CHUNK)) {
      await client.query(
        `INSERT INTO pairx.annotations (key, sha256, x, y, w, h, theta, side)
         SELECT r.key, r.sha256, r.x, r.y, r.w, r.h, r.theta, r.side
         FROM jsonb_to_recordset($1::jsonb) AS r(key text, sha256 text, x real, y real, w real, h real, theta real, side text)
         ON CONFLICT (key) DO NOTHING`,
        [JSON.stringify(rows.map((a) => ({ key: a.key, sha256: a.sha256, ...(a.box ?? {}), theta: a.theta, side: a.side })))],
      );
    }
    for (const rows of chunks(batch.events, PUSH_CHUNK)) {
      const result = await client.query(
        `INSERT INTO pairx.events (uid, kind, catalog, reviewer, created_at, verdict, merge, note, annotation_a, annotation_b,
                                   undoes, batch, features, members, old_name, name, subject, accuracy)
         SELECT r.uid, r.kind, r.catalog, r.reviewer, r.created_at, r.verdict, r.merge, r.note, r.annotation_a, r.annotation_b,
                r.undoes, r.batch, NULLIF(r.features, 'null'::jsonb), r.members, r.old_name, r.name, r.subject, r.accuracy
         FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, ord),
              LATERAL jsonb_to_record(t.e) AS r(uid uuid, kind text, catalog uuid, reviewer text, created_at timestamptz,
                verdict text, merge text, note text, annotation_a text, annotation_b text, undoes uuid, batch uuid, features jsonb,
                members text[], old_name text, name text, subject text, accuracy double precision)
         ORDER BY t.ord
         ON CONFLICT (uid) DO NOTHING
         RETURNING kind`,
        [JSON.stringify(rows.map(eventColumns))],
      );
      added += result.rows.filter((row: { kind: string }) => row.kind !== 'name').length;
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return added;
}

interface EventRow {
  seq: string;
  uid: string;
  kind: TeamEvent['kind'];
  catalog: string;
  reviewer: string | null;
  created_at: Date;
  verdict: string | null;
  merge: string | null;
  note: string | null;
  annotation_a: string | null;
  annotation_b: string | null;
  undoes: string | null;
  batch: string | null;
  features: unknown;
  members: string[] | null;
  old_name: string | null;
  name: string | null;
  subject: string | null;
  accuracy: number | null;
  file_a: string | null;
  file_b: string | null;
}

function toEvent(row: EventRow): TeamEvent {
  const base = { uid: row.uid, catalog: row.catalog, reviewer: row.reviewer, createdAt: row.created_at.toISOString() };
  switch (row.kind) {
    case 'decision':
      return TeamEvent.parse({
        kind: 'decision',
        ...base,
        verdict: row.verdict,
        merge: row.merge,
        note: row.note,
        a: row.annotation_a,
        b: row.annotation_b,
        fileA: row.file_a,
        fileB: row.file_b,
        undoes: row.undoes,
        batch: row.batch,
        features: row.features === null ? null : Features.parse(row.features),
      });
    case 'rename':
      return TeamEvent.parse({ kind: 'rename', ...base, members: row.members, oldName: row.old_name, name: row.name });
    case 'name':
      return TeamEvent.parse({ kind: 'name', ...base, annotation: row.annotation_a, name: row.name });
    case 'accuracy':
      return TeamEvent.parse({ kind: 'accuracy', ...base, subject: row.subject, accuracy: row.accuracy });
  }
}

/** The events after receipt number `after`, in receipt order, at most `limit` of them. */
export async function pullFromStore(client: pg.Client, after: number, limit = PULL_PAGE): Promise<ReceivedEvent[]> {
  const result = await client.query<EventRow>(
    `SELECT e.seq, e.uid, e.kind, e.catalog, e.reviewer, e.created_at, e.verdict, e.merge, e.note, e.annotation_a, e.annotation_b,
            e.undoes, e.batch, e.features, e.members, e.old_name, e.name, e.subject, e.accuracy,
            pa.file_name AS file_a, pb.file_name AS file_b
     FROM pairx.events e
     LEFT JOIN pairx.annotations aa ON aa.key = e.annotation_a LEFT JOIN pairx.photos pa ON pa.sha256 = aa.sha256
     LEFT JOIN pairx.annotations ab ON ab.key = e.annotation_b LEFT JOIN pairx.photos pb ON pb.sha256 = ab.sha256
     WHERE e.seq > $1 ORDER BY e.seq LIMIT $2`,
    [after, limit],
  );
  return result.rows.map((row) => ({ seq: Number(row.seq), event: toEvent(row) }));
}

/** How many events the store holds, and its newest receipt number. */
export async function storeCounts(client: pg.Client): Promise<{ events: number; newest: number }> {
  const row = (await client.query<{ events: string; newest: string | null }>('SELECT count(*) AS events, max(seq) AS newest FROM pairx.events')).rows[0];
  return { events: Number(row.events), newest: Number(row.newest ?? 0) };
}
