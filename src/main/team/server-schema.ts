import type pg from 'pg';
import { PairxError } from '../errors.ts';

/**
 * The team store's schema on PostgreSQL, in Signal's shape: one migration per version, each run in the
 * transaction that records the new version, and a store from a newer pairx refused in one line. Everything
 * lives in the schema `pairx` of the database the URL names.
 *
 * Rights (README, "Team mode: role rights"): the role that runs `pairx team init` owns the schema; the
 * application role (`--app-role`) may read the store and append to it, nothing else. Appending is not
 * trust: the event tables refuse UPDATE, DELETE and TRUNCATE by trigger even to their owner, so a
 * decision, once received, stays as it was received.
 */
type ServerMigration = (client: pg.Client) => Promise<void>;

/** Serialises `team init` runs and, separately, pushes (see server-log.ts). */
const INIT_LOCK = 0x70616972; // "pair"
export const PUSH_LOCK = 0x70757368; // "push"

const v1: ServerMigration = async (client) => {
  await client.query(`
    CREATE SCHEMA IF NOT EXISTS pairx;
    REVOKE ALL ON SCHEMA pairx FROM PUBLIC;

    -- store_id: this store's identity, so that a catalog never mixes two stores' logs.
    CREATE TABLE pairx.meta (
      key text PRIMARY KEY,
      value text NOT NULL
    );
    INSERT INTO pairx.meta (key, value) VALUES ('store_id', gen_random_uuid()::text);

    -- Photos by content hash, and the file name they had where they were first pushed.
    CREATE TABLE pairx.photos (
      sha256 text PRIMARY KEY CHECK (length(sha256) BETWEEN 8 AND 128),
      width integer NOT NULL CHECK (width > 0),
      height integer NOT NULL CHECK (height > 0),
      file_name text NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now()
    );

    -- Annotations by key: photo hash and box (src/main/team/keys.ts).
    CREATE TABLE pairx.annotations (
      key text PRIMARY KEY,
      sha256 text NOT NULL REFERENCES pairx.photos (sha256),
      x real, y real, w real, h real,
      theta real NOT NULL DEFAULT 0,
      side text,
      received_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((x IS NULL) = (w IS NULL) AND (y IS NULL) = (h IS NULL) AND (x IS NULL) = (y IS NULL))
    );

    -- The team log: every reviewer's decisions, undo entries, renames, the names people's files gave and
    -- the reviewers' accuracies people set, in the order the store received them (seq). Pushes hold an
    -- advisory lock while they insert, so seq values are committed in order and a reader that has seen
    -- seq n has seen every seq below it.
    CREATE TABLE pairx.events (
      seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      uid uuid NOT NULL UNIQUE,
      kind text NOT NULL CHECK (kind IN ('decision', 'rename', 'name', 'accuracy')),
      catalog uuid NOT NULL,
      reviewer text,
      created_at timestamptz NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      pushed_by name NOT NULL DEFAULT current_user,
      verdict text CHECK (verdict IN ('same', 'different', 'unsure', 'undo')),
      merge text CHECK (merge IN ('keep-a', 'keep-b')),
      note text,
      annotation_a text REFERENCES pairx.annotations (key),
      annotation_b text REFERENCES pairx.annotations (key),
      undoes uuid REFERENCES pairx.events (uid),
      batch uuid REFERENCES pairx.events (uid),
      features jsonb,
      members text[],
      old_name text,
      name text,
      subject text,
      accuracy double precision CHECK (accuracy BETWEEN 0 AND 1),
      CHECK (kind <> 'decision' OR (verdict IS NOT NULL AND reviewer IS NOT NULL AND annotation_a IS NOT NULL
        AND annotation_b IS NOT NULL AND annotation_a <> annotation_b AND (verdict = 'undo') = (undoes IS NOT NULL))),
      CHECK (kind <> 'rename' OR (reviewer IS NOT NULL AND name IS NOT NULL AND old_name IS NOT NULL AND cardinality(members) > 0)),
      CHECK (kind <> 'name' OR (annotation_a IS NOT NULL AND name IS NOT NULL))
    );

    CREATE FUNCTION pairx.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'the team store is append-only: % on %.% refused', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON pairx.events FOR EACH ROW EXECUTE FUNCTION pairx.refuse_change();
    CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON pairx.events FOR EACH STATEMENT EXECUTE FUNCTION pairx.refuse_change();
    CREATE TRIGGER photos_append_only BEFORE UPDATE OR DELETE ON pairx.photos FOR EACH ROW EXECUTE FUNCTION pairx.refuse_change();
    CREATE TRIGGER photos_no_truncate BEFORE TRUNCATE ON pairx.photos FOR EACH STATEMENT EXECUTE FUNCTION pairx.refuse_change();
    CREATE TRIGGER annotations_append_only BEFORE UPDATE OR DELETE ON pairx.annotations FOR EACH ROW EXECUTE FUNCTION pairx.refuse_change();
    CREATE TRIGGER annotations_no_truncate BEFORE TRUNCATE ON pairx.annotations FOR EACH STATEMENT EXECUTE FUNCTION pairx.refuse_change();
  `);
};

/** Migration i brings a store from version i to i + 1. Append only; never edit a shipped one. */
export const SERVER_MIGRATIONS: readonly ServerMigration[] = [v1];
export const SERVER_SCHEMA_VERSION = SERVER_MIGRATIONS.length;

/** The store's schema version: 0 where the database holds no pairx schema yet. */
export async function serverSchemaVersion(client: pg.Client): Promise<number> {
  const exists = await client.query<{ table: string | null }>("SELECT to_regclass('pairx.meta')::text AS table");
  if (exists.rows[0].table === null) return 0;
  const row = await client.query<{ value: string }>("SELECT value FROM pairx.meta WHERE key = 'schema_version'");
  return row.rows.length === 0 ? 1 : Number(row.rows[0].value);
}

const newerMessage = (label: string, version: number) =>
  `the team store ${label} was made by a newer pairx (store schema ${version}; this pairx knows up to ${SERVER_SCHEMA_VERSION}); update pairx`;

export interface InitResult {
  storeId: string;
  from: number;
  to: number;
  appRole: string | null;
}

/**
 * Creates the store's schema or brings it to SERVER_SCHEMA_VERSION, one transaction per version under an
 * advisory lock (two inits at once wait for each other), then grants `appRole` its rights. Idempotent.
 */
export async function initServerSchema(
  client: pg.Client,
  label: string,
  options: { appRole?: string; migrations?: readonly ServerMigration[] } = {},
): Promise<InitResult> {
  const migrations = options.migrations ?? SERVER_MIGRATIONS;
  const from = await serverSchemaVersion(client);
  if (from > migrations.length) throw new PairxError('invalid-arguments', newerMessage(label, from));
  for (;;) {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [INIT_LOCK]);
      const version = await serverSchemaVersion(client);
      if (version >= migrations.length) {
        await client.query('COMMIT');
        break;
      }
      await migrations[version](client);
      await client.query(
        `INSERT INTO pairx.meta (key, value) VALUES ('schema_version', $1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [String(version + 1)],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
  if (options.appRole) await grantAppRole(client, options.appRole);
  const storeId = (await client.query<{ value: string }>("SELECT value FROM pairx.meta WHERE key = 'store_id'")).rows[0].value;
  return { storeId, from, to: migrations.length, appRole: options.appRole ?? null };
}

/**
 * The application role's rights: read the store, append photos, annotations and events; nothing else.
 * The role itself (LOGIN, password) is the database administrator's to create.
 */
export async function grantAppRole(client: pg.Client, role: string): Promise<void> {
  const quoted = (await client.query<{ q: string }>('SELECT quote_ident($1) AS q', [role])).rows[0].q;
  const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if (exists.rowCount === 0)
    throw new PairxError('invalid-arguments', `there is no role "${role}" on this server; create it first (CREATE ROLE ${quoted} LOGIN PASSWORD '…')`);
  await client.query(`
    GRANT USAGE ON SCHEMA pairx TO ${quoted};
    REVOKE ALL ON pairx.meta, pairx.photos, pairx.annotations, pairx.events FROM ${quoted};
    GRANT SELECT ON pairx.meta TO ${quoted};
    GRANT SELECT, INSERT ON pairx.photos, pairx.annotations, pairx.events TO ${quoted};
  `);
}

/** Refuses a store this pairx cannot work with (none yet, older, newer) in one line; answers its id. */
export async function checkServerSchema(client: pg.Client, label: string): Promise<string> {
  const version = await serverSchemaVersion(client);
  if (version === 0)
    throw new PairxError('invalid-arguments', `the team store ${label} holds no pairx team store yet; its owner runs \`pairx team init <url>\` first`);
  if (version > SERVER_SCHEMA_VERSION) throw new PairxError('invalid-arguments', newerMessage(label, version));
  if (version < SERVER_SCHEMA_VERSION)
    throw new PairxError(
      'invalid-arguments',
      `the team store ${label} has schema ${version}; this pairx needs ${SERVER_SCHEMA_VERSION}: its owner runs \`pairx team init <url>\` to upgrade it`,
    );
  return (await client.query<{ value: string }>("SELECT value FROM pairx.meta WHERE key = 'store_id'")).rows[0].value;
}
