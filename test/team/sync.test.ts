import { copyFileSync, cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workbench } from '../../src/main/workbench.ts';
import { callApi, workbenchHandlers } from '../../src/main/api-handlers.ts';
import { DEMO, copyDemoPhotos, tempFolder } from '../catalog/helpers.ts';
import { FakeEmbedder } from '../fixtures/fake-embedder.ts';
import { hasPostgres, NO_POSTGRES_NOTICE } from '../fixtures/pg-cluster.ts';
import { disputesById, idOf, individualsByKey, keysOf, logByUid, teamCatalog, teamServer, type TeamServer } from './helpers.ts';

/**
 * Offline review that merges back: catalogs of the same photos decide apart (some answers in conflict),
 * sync with one team store on a real PostgreSQL server in every order, and end with the same individuals,
 * the same log and the same disputes; syncing again changes nothing; a sync cut short loses nothing and
 * adds nothing twice; decisions on photos a catalog lacks wait for them; undo, renames and a lead's
 * settling answer travel like decisions.
 */
if (!hasPostgres) console.warn(NO_POSTGRES_NOTICE);

const permutations = <T>(items: T[]): T[][] =>
  items.length <= 1 ? [items] : items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));

describe.skipIf(!hasPostgres)('team sync on PostgreSQL', () => {
  let server: TeamServer;
  beforeAll(async () => {
    server = await teamServer();
  });
  afterAll(() => server?.cluster.destroy());

  /** Three field laptops: the same 12 photos, nyala-134's four named by the import, each reviewer's offline answers. */
  async function threeReviewers(): Promise<Record<'ana' | 'ben' | 'cid', string>> {
    const made = { ana: '', ben: '', cid: '' };
    for (const reviewer of ['ana', 'ben', 'cid'] as const) {
      const workbench = await teamCatalog(12, ['nyala-134']);
      const decide = (a: number, b: number, verdict: 'same' | 'different') => workbench.decide(a, b, verdict, { reviewer });
      if (reviewer === 'ana') {
        decide(1, 3, 'same');
        decide(5, 7, 'same');
        decide(2, 4, 'same');
        decide(1, 5, 'different');
      } else if (reviewer === 'ben') {
        decide(1, 3, 'different'); // ana said "same": answers both ways
        decide(3, 6, 'same'); // a wrong answer that joins 6 to ana's 1 = 3 …
        decide(9, 11, 'same');
      } else {
        decide(1, 6, 'different'); // … which cid contradicts: 1 = 3 = 6 but 1 ≠ 6
        decide(8, 6, 'same');
        decide(10, 12, 'same');
        workbench.undo({ reviewer });
        decide(2, 9, 'different');
      }
      made[reviewer] = workbench.folder;
      workbench.close();
    }
    return made;
  }

  it('three catalogs synced in every order end with the same individuals, log and disputes; again, nothing changes', async () => {
    const pristine = await threeReviewers();
    const logs = new Set<string>();
    for (const order of permutations(['ana', 'ben', 'cid'] as const)) {
      const url = await server.freshStore();
      const catalogs = new Map(
        order.map((reviewer) => {
          const copy = tempFolder(`pairx-team-${reviewer}-`);
          cpSync(pristine[reviewer], copy, { recursive: true });
          return [reviewer, Workbench.open(copy)] as const;
        }),
      );
      // Each syncs once in this order (the last one then has everything), then the first two again.
      for (const reviewer of [...order, order[0], order[1]]) await catalogs.get(reviewer)!.team.sync({ server: url, reviewer });
      const [first, ...others] = [...catalogs.values()];
      for (const other of others) {
        expect(individualsByKey(other), order.join(',')).toEqual(individualsByKey(first));
        expect(logByUid(other), order.join(',')).toEqual(logByUid(first));
        expect(disputesById(other), order.join(',')).toEqual(disputesById(first));
      }
      expect(first.decisions()).toHaveLength(12);
      // The pair ana and ben answered both ways is open in every order.
      expect(first.team.disputes().filter((d) => d.kind === 'pair')).toHaveLength(1);
      logs.add(JSON.stringify(logByUid(first)));

      // Syncing again pushes, pulls and changes nothing.
      const before = individualsByKey(first);
      for (const workbench of catalogs.values()) {
        expect(await workbench.team.sync()).toMatchObject({ pushed: 0, pulled: 0, applied: 0, changed: 0, held: 0 });
      }
      expect(individualsByKey(first)).toEqual(before);
      const store = new pg.Client({ connectionString: url, password: server.cluster.appPassword });
      await store.connect();
      const counts = (await store.query('SELECT count(*)::int AS events, count(DISTINCT uid)::int AS uids FROM pairx.events WHERE kind = $1', ['decision'])).rows[0];
      await store.end();
      expect(counts).toEqual({ events: 12, uids: 12 });
      for (const workbench of catalogs.values()) workbench.close();
    }
    // Whatever the order, the team's log holds the same decisions.
    expect(logs.size).toBe(1);
  });

  it('two catalogs: the log, the undo of another reviewer’s decision, renames, and who decided what', async () => {
    const url = await server.freshStore();
    const ana = await teamCatalog(8);
    const ben = await teamCatalog(8);
    const made = ana.decide(1, 2, 'same', { reviewer: 'ana', note: 'same notch' });
    if (!('decision' in made)) throw new Error('no decision');
    ana.renameIndividual(made.individual!.name, 'Eve', { reviewer: 'ana' });
    ana.decide(3, 4, 'same', { reviewer: 'ana' });
    await ana.team.sync({ server: url });
    await ben.team.sync({ server: url });
    expect(individualsByKey(ben)).toEqual(individualsByKey(ana));
    expect(ben.listIndividuals().map((i) => i.name)).toContain('Eve');
    const pulled = ben.decisions().find((d) => d.note === 'same notch')!;
    expect(pulled).toMatchObject({ reviewer: 'ana', verdict: 'same', uid: made.decision.uid, createdAt: made.decision.createdAt });

    // ben takes back ana's newest decision (3 = 4): the undo travels by uid.
    expect(ben.undo({ reviewer: 'ben' }).undone.uid).toBe(ana.decisions()[1].uid);
    await ben.team.sync();
    await ana.team.sync();
    expect(individualsByKey(ana)).toEqual(individualsByKey(ben));
    expect(ana.decisions()[1].undoneBy).not.toBeNull();
    expect(ana.list({ ids: [3, 4] }).annotations.map((a) => a.name)).toEqual([null, null]);

    // Both take back "Eve"'s decision at once: the second undo is kept in the log, and nothing breaks.
    ana.undo({ reviewer: 'ana' });
    ben.undo({ reviewer: 'ben' });
    await ana.team.sync();
    await ben.team.sync();
    await ana.team.sync();
    expect(logByUid(ana)).toEqual(logByUid(ben));
    expect(individualsByKey(ana)).toEqual(individualsByKey(ben));
    expect(individualsByKey(ana)).toEqual([]);
    ana.close();
    ben.close();
  });

  it('a sync stopped between push and pull, run again, leaves no gap and no duplicate', async () => {
    const url = await server.freshStore();
    const ana = await teamCatalog(8);
    const ben = await teamCatalog(8);
    ana.decide(1, 2, 'same', { reviewer: 'ana' });
    ben.decide(3, 4, 'same', { reviewer: 'ben' });
    ben.decide(1, 2, 'different', { reviewer: 'ben' });
    await ana.team.sync({ server: url });
    const stop = new AbortController();
    const cut = await ben.team.sync({
      server: url,
      signal: stop.signal,
      onProgress: (progress) => {
        if (progress.phase === 'push' && progress.done > 0) stop.abort();
      },
    });
    expect(cut).toMatchObject({ cancelled: true, pushed: 2, pulled: 0 });
    expect(ben.decisions()).toHaveLength(2);
    expect(ben.team.status().unpushed).toBe(2); // pushed, but not yet seen back from the store
    expect(await ben.team.sync()).toMatchObject({ cancelled: false, pushed: 0, pulled: 1 });
    expect(await ana.team.sync()).toMatchObject({ pushed: 0, pulled: 2 });
    expect(logByUid(ana)).toEqual(logByUid(ben));
    expect(ben.decisions()).toHaveLength(3);
    expect(ben.team.status()).toMatchObject({ unpushed: 0, held: 0, disputes: 1 });
    expect(individualsByKey(ana)).toEqual(individualsByKey(ben));
    ana.close();
    ben.close();
  });

  it('holds decisions on photos a catalog lacks, and applies them when the photo arrives', async () => {
    const url = await server.freshStore();
    const ana = await teamCatalog(12);
    const keys = keysOf(ana);
    ana.decide(1, 2, 'same', { reviewer: 'ana' });
    ana.decide(9, 10, 'same', { reviewer: 'ana' });
    ana.decide(10, 11, 'different', { reviewer: 'ana' });
    await ana.team.sync({ server: url });

    const field = await teamCatalog(8); // has not got nyala-134's photos yet
    expect(await field.team.sync({ server: url, reviewer: 'ben' })).toMatchObject({ pulled: 3, applied: 1, held: 2 });
    expect(field.team.status()).toMatchObject({ held: 2 });
    expect(field.decisions()).toHaveLength(1);
    // The photos come in from the field: the decisions waiting for them join the log at import, offline.
    for (const photo of copyDemoPhotos(tempFolder(), 12).slice(8)) {
      mkdirSync(join(field.folder, 'photos/134'), { recursive: true });
      copyFileSync(join(DEMO, photo.image), join(field.folder, photo.image));
    }
    await field.importFolder(field.folder);
    expect(field.decisions()).toHaveLength(3);
    expect(field.team.status()).toMatchObject({ held: 0 });
    expect(individualsByKey(field)).toEqual(individualsByKey(ana));
    expect(idOf(field, keys.get(9)!)).toBe(9);
    expect(logByUid(field)).toEqual(logByUid(ana));
    ana.close();
    field.close();
  });

  it('a decision on a box another catalog has since edited still finds that annotation', async () => {
    const url = await server.freshStore();
    const ana = await teamCatalog(4);
    const ben = await teamCatalog(4);
    ana.decide(1, 2, 'same', { reviewer: 'ana' });
    await ana.team.sync({ server: url });
    // ben narrows the box of annotation 2 (the whole photo until now) before he syncs.
    const photo = ben.list({ ids: [2] }).annotations[0];
    await callApi(workbenchHandlers(ben), 'annotations.update', { id: 2, box: { x: 10, y: 10, w: photo.imageWidth - 20, h: photo.imageHeight - 20 }, reviewer: 'ben' });
    expect(await ben.team.sync({ server: url, reviewer: 'ben' })).toMatchObject({ pulled: 1, applied: 1, held: 0 });
    expect(ben.list({ ids: [1, 2] }).annotations.map((a) => a.name)).toEqual(['ind-0001', 'ind-0001']);
    ana.close();
    ben.close();
  });

  it('carries calibration features where both catalogs know the model, and the lead’s settling answer', async () => {
    const url = await server.freshStore();
    const ana = await teamCatalog(8);
    const ben = await teamCatalog(8);
    for (const workbench of [ana, ben]) await workbench.embed({ embedder: new FakeEmbedder() });
    ana.decide(1, 3, 'same', { reviewer: 'ana' });
    ben.decide(1, 3, 'different', { reviewer: 'ben' });
    await ana.team.sync({ server: url });
    await ben.team.sync({ server: url });
    await ana.team.sync();
    const features = (workbench: Workbench) =>
      workbench.store.db.prepare('SELECT d.uid, f.similarity, f.size_a, f.size_b FROM decision_features f JOIN decisions d ON d.id = f.decision_id ORDER BY d.uid').all();
    expect(features(ana)).toHaveLength(2);
    expect(features(ben)).toEqual(features(ana));

    const [dispute] = ana.team.disputes();
    expect(dispute).toMatchObject({ kind: 'pair', pairs: [{ a: 1, b: 3 }] });
    expect(dispute.answers.map((a) => [a.reviewer, a.verdict, a.fileA, a.fileB])).toEqual([
      ['ana', 'same', '132_leftphoto.jpg', '193_leftphoto.jpg'],
      ['ben', 'different', '132_leftphoto.jpg', '193_leftphoto.jpg'],
    ]);
    // The lead looks at the pair and says "different": ana's "same" is taken back, by the lead.
    const settled = ana.team.settle({ a: 1, b: 3, verdict: 'different', reviewer: 'lea' });
    expect(settled).toMatchObject({ decision: { reviewer: 'lea', verdict: 'different' } });
    expect(ana.team.disputes()).toEqual([]);
    expect(ana.list({ ids: [1, 3] }).annotations.map((a) => a.name)).toEqual([null, null]);
    await ana.team.sync();
    await ben.team.sync();
    expect(ben.team.disputes()).toEqual([]);
    expect(individualsByKey(ben)).toEqual(individualsByKey(ana));
    expect(ben.decisions().slice(-2).map((d) => [d.verdict, d.reviewer, d.note])).toEqual([
      ['different', 'lea', null],
      ['undo', 'lea', `overruled by lea's "different"`],
    ]);
    ana.close();
    ben.close();
  });

  it('with the server stopped, deciding works and sync fails in one line naming the server', async () => {
    const url = await server.freshStore();
    const ana = await teamCatalog(4);
    await ana.team.sync({ server: url, reviewer: 'ana' });
    server.cluster.stop();
    try {
      expect(ana.decide(1, 2, 'same', { reviewer: 'ana' })).toMatchObject({ decision: { verdict: 'same' } });
      await expect(ana.team.sync()).rejects.toThrow(
        new RegExp(`^cannot reach the team store pairx_app@127\\.0\\.0\\.1:${server.cluster.port}/store_\\d+_\\d+ \\(ECONNREFUSED\\); review goes on offline, sync again when it is reachable$`),
      );
      expect(ana.team.status()).toMatchObject({ unpushed: 1 });
    } finally {
      server.cluster.start();
    }
    expect(await ana.team.sync()).toMatchObject({ pushed: 1 });
    ana.close();
  });
});
