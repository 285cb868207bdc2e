import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workbench } from '../../src/main/workbench.ts';
import { tempFolder } from '../catalog/helpers.ts';
import { hasPostgres, NO_POSTGRES_NOTICE, startCluster, type PgCluster } from '../fixtures/pg-cluster.ts';
import { fillSynthetic } from '../fixtures/synthetic-catalog.ts';
import { FakeEmbedder } from '../fixtures/fake-embedder.ts';
import { logByUid, teamCatalog } from '../team/helpers.ts';

/**
 * Team mode as a user runs it: `pairx team init` by the store's owner, `pairx catalog sync` with the
 * password in PGPASSWORD, `pairx catalog disputes`, a lead's answer with `pairx catalog decide`, and a
 * sync killed (SIGKILL) while it pulls, run again: no gap, no duplicate.
 */
if (!hasPostgres) console.warn(NO_POSTGRES_NOTICE);

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PAIRX = join(REPO, 'bin/pairx.js');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function pairx(args: string[], env: Record<string, string>, killWhen?: (stderr: string) => boolean): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PAIRX, ...args], { cwd: REPO, env: { ...process.env, NODE_OPTIONS: '', PGPASSWORD: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (killWhen?.(stderr)) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe.skipIf(!hasPostgres)('pairx team / pairx catalog sync (CLI)', () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await startCluster();
  });
  afterAll(() => cluster?.destroy());

  it('inits the store, syncs two catalogs, lists their dispute, and says in one line what went wrong', async () => {
    const owner = { PGPASSWORD: cluster.ownerPassword };
    const app = { PGPASSWORD: cluster.appPassword };
    const ownerUrl = `postgres://postgres@127.0.0.1:${cluster.port}/team`;
    const url = cluster.appUrl('team');
    const init = await pairx(['team', 'init', ownerUrl, '--app-role', cluster.appRole], owner);
    expect(init.stderr).toBe('');
    expect(init.stdout).toMatch(new RegExp(`^team store ready at postgres@127\\.0\\.0\\.1:${cluster.port}/team \\(schema 0 → 1; store [0-9a-f-]{36}\\)\n`));
    expect(init.stdout).toContain('role "pairx_app" may read the store and append to it');

    // Two laptops with the same photos, embedded with the same (stand-in) model; on 6 – 8, ana says
    // "same" and ben "different".
    const ana = await teamCatalog(8);
    const ben = await teamCatalog(8);
    for (const workbench of [ana, ben]) await workbench.embed({ embedder: new FakeEmbedder() });
    ana.decide(6, 8, 'same', { reviewer: 'ana' });
    ben.decide(6, 8, 'different', { reviewer: 'ben' });
    ana.close();
    ben.close();
    const synced = await pairx(['catalog', 'sync', '--catalog', ana.folder, '--server', url], app);
    expect(synced).toMatchObject({ code: 0 });
    expect(synced.stdout).toMatch(new RegExp(`^synced with pairx_app@127\\.0\\.0\\.1:${cluster.port}/team: pushed 1, pulled 0 \\(0 into the log\\), 0 annotation\\(s\\) changed individual; no disputes open`));
    // ben's two photos were apart already: an answer each way weighs nothing either way.
    expect((await pairx(['catalog', 'sync', '--catalog', ben.folder, '--server', url], app)).stdout).toMatch(/pushed 1, pulled 1 \(1 into the log\), 0 annotation\(s\) changed individual; 1 dispute\(s\) open/);
    // The URL is kept without a password; the next sync needs no --server. ana's two photos come apart.
    expect((await pairx(['catalog', 'sync', '--catalog', ana.folder], app)).stdout).toMatch(/pulled 1 \(1 into the log\), 2 annotation\(s\) changed individual; 1 dispute\(s\) open/);

    const listed = await pairx(['catalog', 'disputes', '--catalog', ana.folder], {});
    expect(listed.stdout).toMatch(/^pair-[0-9a-f]{8} {2}ana: same, ben: different on 159_rightphoto\.jpg – 274_rightphoto\.jpg; the evidence: \d+ % one animal\n/);
    expect(listed.stdout).toMatch(/^ {2}#1 same {6}ana {10}\S+ {2}#6 159_rightphoto\.jpg – #8 274_rightphoto\.jpg$/m);
    expect(listed.stdout).toContain('answer with: pairx catalog decide 6 8 same|different');
    const json = JSON.parse((await pairx(['catalog', 'disputes', '--catalog', ana.folder, '--json'], {})).stdout);
    expect(json).toHaveLength(1);

    // The lead, whom the team trusts more, answers: a decision like any other, under the lead's name.
    expect((await pairx(['catalog', 'reviewers', '--set', 'lea=0.999', '--catalog', ana.folder], {})).code).toBe(0);
    const answered = await pairx(['catalog', 'decide', '6', '8', 'same', '--reviewer', 'lea', '--catalog', ana.folder], {});
    expect(answered.code).toBe(0);
    expect((await pairx(['catalog', 'disputes', '--catalog', ana.folder], {})).stdout).toBe('no disputes open\n');
    expect((await pairx(['catalog', 'team', '--catalog', ana.folder], {})).stdout).toMatch(/to push {4}2\n/); // the answer and the lead's accuracy

    // A catalog nobody embedded cannot look for answers that disagree, and says so.
    const cid = await teamCatalog(8);
    cid.close();
    expect((await pairx(['catalog', 'sync', '--catalog', cid.folder, '--server', url, '--reviewer', 'cid'], app)).code).toBe(0);
    expect((await pairx(['catalog', 'disputes', '--catalog', cid.folder], {})).stdout).toBe(
      'no disputes open\nanswers that disagree are found by the review queue, which needs the photos embedded: pairx catalog embed\n',
    );

    const wrong = await pairx(['catalog', 'sync', '--catalog', ana.folder], { PGPASSWORD: 'nope' });
    expect(wrong).toMatchObject({ code: 1, stdout: '' });
    expect(wrong.stderr).toBe(`pairx: the team store pairx_app@127.0.0.1:${cluster.port}/team refused the password of "pairx_app" (give it in PGPASSWORD, ~/.pgpass or the app's sync form)\n`);
    const none = await pairx(['catalog', 'sync', '--catalog', ana.folder], { PGPASSFILE: '/nonexistent' });
    expect(none.stderr).toMatch(/^pairx: the team store .* asks for the password of "pairx_app": give it in PGPASSWORD, ~\/\.pgpass, the URL or the app's sync form\n$/);

    cluster.stop();
    try {
      const down = await pairx(['catalog', 'sync', '--catalog', ana.folder], app);
      expect(down.code).toBe(1);
      expect(down.stderr).toBe(
        `pairx: cannot reach the team store pairx_app@127.0.0.1:${cluster.port}/team (ECONNREFUSED); review goes on offline, sync again when it is reachable\n`,
      );
      expect((await pairx(['catalog', 'decide', '2', '4', 'same', '--catalog', ana.folder, '--reviewer', 'ana'], {})).code).toBe(0);
      expect((await pairx(['catalog', 'team', '--catalog', ana.folder], {})).stdout).toMatch(/to push {4}3\n/);
    } finally {
      cluster.start();
    }
  });

  it('a sync killed while it pulls, run again, leaves no gap and no duplicate', async () => {
    cluster.sql('CREATE DATABASE killed');
    const owner = { PGPASSWORD: cluster.ownerPassword };
    expect((await pairx(['team', 'init', `postgres://postgres@127.0.0.1:${cluster.port}/killed`, '--app-role', cluster.appRole], owner)).code).toBe(0);
    const url = cluster.appUrl('killed');
    // Two catalogs of the same 12,000 (synthetic) photos; one has 24,000 decisions to send (answers on
    // pairs within groups of four photos, a third "same", several per pair, as a team's log holds them).
    const make = () => {
      const workbench = Workbench.init(tempFolder('pairx-team-big-'));
      fillSynthetic(workbench.store, { count: 12_000, dim: 4, seed: 7, keepVectors: false });
      return workbench;
    };
    const ana = make();
    const within = [[0, 1], [2, 3], [0, 2], [1, 3], [0, 3], [1, 2]];
    ana.store.transaction(() => {
      for (let i = 0; i < 24_000; i++) {
        const group = 4 * (i % 3000);
        const [x, y] = within[Math.floor(i / 3000) % within.length];
        ana.store.decisions.append({ a: 1 + group + x, b: 1 + group + y, verdict: i % 3 === 0 ? 'same' : 'different', merge: null, note: null, reviewer: 'ana', undoes: null });
      }
    });
    process.env.PGPASSWORD = cluster.appPassword;
    await ana.team.sync({ server: url });
    const ben = make();
    ben.decide(1, 2, 'unsure', { reviewer: 'ben' });
    ben.close();

    const app = { PGPASSWORD: cluster.appPassword };
    const killed = await pairx(['catalog', 'sync', '--catalog', ben.folder, '--server', url], app, (stderr) => /^pull: \d+/m.test(stderr));
    expect(killed.signal).toBe('SIGKILL');
    const cut = Workbench.open(ben.folder);
    const partial = cut.decisions().length;
    cut.close();
    expect(partial).toBeGreaterThan(1);
    expect(partial).toBeLessThan(ana.decisions().length + 1);

    const again = await pairx(['catalog', 'sync', '--catalog', ben.folder, '--json'], app);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ pushed: 0, cancelled: false });
    await ana.team.sync();
    const done = Workbench.open(ben.folder);
    expect(done.decisions()).toHaveLength(ana.decisions().length);
    expect(new Set(done.decisions().map((d) => d.uid)).size).toBe(done.decisions().length);
    expect(logByUid(done)).toEqual(logByUid(ana));
    expect(done.store.integrityCheck()).toEqual(['ok']);
    done.close();
    ana.close();
  });
});
