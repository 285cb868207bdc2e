import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTeamStore } from '../../src/main/team/admin.ts';
import { connect, parseServerUrl } from '../../src/main/team/connection.ts';
import { checkServerSchema, initServerSchema, SERVER_MIGRATIONS, SERVER_SCHEMA_VERSION } from '../../src/main/team/server-schema.ts';
import { hasPostgres, NO_POSTGRES_NOTICE } from '../fixtures/pg-cluster.ts';
import { tempFolder } from '../catalog/helpers.ts';
import { teamCatalog, teamServer, type TeamServer } from './helpers.ts';

/**
 * The team store on a real PostgreSQL server (a throwaway cluster, see test/fixtures/pg-cluster.ts): its
 * versioned schema, the application role's rights and the append-only log, and the one-line errors a
 * reviewer meets (wrong password, server down, no store yet).
 */
if (!hasPostgres) console.warn(NO_POSTGRES_NOTICE);

describe.skipIf(!hasPostgres)('team store on PostgreSQL', () => {
  let server: TeamServer;
  beforeAll(async () => {
    server = await teamServer();
  });
  afterAll(() => server?.cluster.destroy());

  const asApp = async (url: string) => connect(parseServerUrl(url), server.cluster.appPassword);

  it('creates its schema once, versioned, and refuses a store from a newer pairx in one line', async () => {
    const { cluster } = server;
    cluster.sql('CREATE DATABASE versions');
    const first = await initTeamStore(cluster.ownerUrl('versions'), { password: cluster.ownerPassword });
    expect(first).toMatchObject({ from: 0, to: SERVER_SCHEMA_VERSION, server: `postgres@127.0.0.1:${cluster.port}/versions` });
    const again = await initTeamStore(cluster.ownerUrl('versions'), { password: cluster.ownerPassword });
    expect(again).toMatchObject({ from: SERVER_SCHEMA_VERSION, to: SERVER_SCHEMA_VERSION, storeId: first.storeId });

    // A later version adds its migration; the store moves on by one transaction.
    const client = await connect(parseServerUrl(cluster.ownerUrl('versions')), cluster.ownerPassword);
    const later = [...SERVER_MIGRATIONS, async (c: pg.Client) => void (await c.query('CREATE TABLE pairx.later (x int)'))];
    expect(await initServerSchema(client, 'versions', { migrations: later })).toMatchObject({ from: SERVER_SCHEMA_VERSION, to: SERVER_SCHEMA_VERSION + 1 });
    // This pairx then meets a store newer than it knows.
    await expect(checkServerSchema(client, 'the-label')).rejects.toThrow(
      `the team store the-label was made by a newer pairx (store schema ${SERVER_SCHEMA_VERSION + 1}; this pairx knows up to ${SERVER_SCHEMA_VERSION}); update pairx`,
    );
    await expect(initTeamStore(cluster.ownerUrl('versions'), { password: cluster.ownerPassword })).rejects.toThrow(/made by a newer pairx/);
    await client.end();
  });

  it('lets the application role read and append, never change or delete, and refuses changes even to the owner', async () => {
    const url = await server.freshStore();
    const workbench = await teamCatalog(4);
    workbench.decide(1, 2, 'same', { reviewer: 'ana' });
    await workbench.team.sync({ server: url });
    workbench.close();

    const app = await asApp(url);
    expect((await app.query('SELECT count(*)::int AS n FROM pairx.events')).rows[0].n).toBeGreaterThan(0);
    for (const statement of [
      "UPDATE pairx.events SET reviewer = 'mallory'",
      'DELETE FROM pairx.events',
      'TRUNCATE pairx.events',
      "UPDATE pairx.annotations SET side = 'left'",
      'DELETE FROM pairx.photos',
      "INSERT INTO pairx.meta (key, value) VALUES ('x', 'y')",
      'DROP TABLE pairx.events',
      'CREATE TABLE pairx.mine (x int)',
    ])
      // Refused by the role's rights (not only by the triggers, which stand behind them).
      await expect(app.query(statement), statement).rejects.toThrow(/^permission denied for (table|schema)|^must be owner of table/);
    await app.end();

    const owner = await connect(parseServerUrl(url.replace(server.cluster.appRole, 'postgres')), server.cluster.ownerPassword);
    await expect(owner.query("UPDATE pairx.events SET reviewer = 'mallory'")).rejects.toThrow('the team store is append-only: UPDATE on pairx.events refused');
    await expect(owner.query('DELETE FROM pairx.events')).rejects.toThrow(/append-only: DELETE/);
    await expect(owner.query('TRUNCATE pairx.events')).rejects.toThrow(/append-only: TRUNCATE/);
    // Who pushed is the database's word, not the client's.
    expect((await owner.query('SELECT DISTINCT pushed_by FROM pairx.events')).rows).toEqual([{ pushed_by: server.cluster.appRole }]);
    await owner.end();
  });

  it('talks TLS where the URL asks for it, checking the server’s certificate', async () => {
    const url = await server.freshStore();
    const ca = server.cluster.enableTls();
    const secure = `${url}?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`;
    const client = await asApp(secure);
    expect((await client.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows).toEqual([{ ssl: true }]);
    await client.end();
    const workbench = await teamCatalog(4);
    workbench.decide(1, 2, 'same', { reviewer: 'ana' });
    expect(await workbench.team.sync({ server: secure })).toMatchObject({ pushed: 1 });
    // The catalog keeps the URL with its sslmode, so the next sync is encrypted too (and never its password).
    expect((await workbench.team.status()).url).toBe(secure);
    // A certificate the URL's authority did not sign is refused, in one line.
    const other = join(tempFolder('pairx-ca-'), 'other.crt');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${other}.key`, '-out', other, '-days', '1', '-subj', '/CN=another CA'], { stdio: 'pipe' });
    await expect(workbench.team.sync({ server: `${url}?sslmode=verify-full&sslrootcert=${encodeURIComponent(other)}` })).rejects.toThrow(
      /^the team store pairx_app@127\.0\.0\.1:\d+\/store_\d+_\d+: TLS failed \(.*certificate.*\); see the URL's sslmode$/,
    );
    workbench.close();
  });

  it('finds the password in ~/.pgpass (PGPASSFILE) as psql does', async () => {
    const url = await server.freshStore();
    const pgpass = join(tempFolder('pairx-pgpass-'), 'pgpass');
    writeFileSync(pgpass, `127.0.0.1:${server.cluster.port}:*:${server.cluster.appRole}:${server.cluster.appPassword}\n`, { mode: 0o600 });
    const saved = { PGPASSWORD: process.env.PGPASSWORD, PGPASSFILE: process.env.PGPASSFILE };
    delete process.env.PGPASSWORD;
    process.env.PGPASSFILE = pgpass;
    const workbench = await teamCatalog(4);
    try {
      workbench.decide(1, 2, 'same', { reviewer: 'ana' });
      expect(await workbench.team.sync({ server: url })).toMatchObject({ pushed: 1 });
    } finally {
      Object.assign(process.env, saved);
      if (saved.PGPASSFILE === undefined) delete process.env.PGPASSFILE;
      workbench.close();
    }
  });

  it('answers a wrong password, a missing store or database and a bad URL in one line naming the server', async () => {
    const url = await server.freshStore();
    const workbench = await teamCatalog(4);
    const label = `${server.cluster.appRole}@127.0.0.1:${server.cluster.port}`;
    await expect(workbench.team.sync({ server: url, password: 'wrong' })).rejects.toThrow(
      new RegExp(`^the team store ${label}/store_\\d+_\\d+ refused the password of "pairx_app" \\(give it in PGPASSWORD, ~/\\.pgpass or the app's sync form\\)$`),
    );
    server.cluster.sql('CREATE DATABASE empty');
    server.cluster.sql(`GRANT CONNECT ON DATABASE empty TO ${server.cluster.appRole}`);
    await expect(workbench.team.sync({ server: server.cluster.appUrl('empty') })).rejects.toThrow(
      `the team store ${label}/empty holds no pairx team store yet; its owner runs \`pairx team init <url>\` first`,
    );
    await expect(workbench.team.sync({ server: server.cluster.appUrl('nowhere') })).rejects.toThrow(`there is no database "nowhere"`);
    await expect(workbench.team.sync({ server: 'http://example.org/x' })).rejects.toThrow(/not a PostgreSQL URL: http:\/\/example.org\/x/);
    await expect(workbench.team.sync({ server: `postgres://pairx_app:secret@127.0.0.1:${server.cluster.port}` })).rejects.toThrow(
      "the team store's URL needs a user, a host and a database: postgres://user@host:5432/database, not postgres://pairx_app:***@127.0.0.1",
    );
    workbench.close();
  });
});
