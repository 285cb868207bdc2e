import { copyFileSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workbench } from '../../src/main/workbench.ts';
import { callApi, workbenchHandlers } from '../../src/main/api-handlers.ts';
import { DEMO, copyDemoPhotos, csvText, tempFolder } from '../catalog/helpers.ts';
import { FakeEmbedder } from '../fixtures/fake-embedder.ts';
import { hasPostgres, NO_POSTGRES_NOTICE } from '../fixtures/pg-cluster.ts';
import { disputesById, idOf, keysOf, logByUid, partitionByKey, photo, teamCatalog, teamServer, type TeamServer } from './helpers.ts';

/**
 * Offline review that merges back, on the evidence model: catalogs of the same photos (numbered
 * differently) decide apart, some answers in conflict, sync with one team store on a real PostgreSQL
 * server in every order, and end with the same partition, the same log and the same disputes; syncing
 * again changes nothing; a sync cut short loses nothing and adds nothing twice; decisions on photos a
 * catalog lacks wait for them; names people gave, renames and reviewers' accuracies travel; an undo takes
 * back only one's own decisions; a lead's answer is a decision that weighs by the lead's accuracy.
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

  /**
   * Three field laptops with the same 12 photos (ben's imported in another order, so his ids differ),
   * nyala-134's four named by every import, photo 2 named by ana's file and, differently, by cid's; each
   * embedded with the same (stand-in) model, each reviewer's offline answers by photo number.
   */
  async function threeReviewers(): Promise<Record<'ana' | 'ben' | 'cid', string>> {
    const made = { ana: '', ben: '', cid: '' };
    for (const reviewer of ['ana', 'ben', 'cid'] as const) {
      const workbench = await teamCatalog(12, ['nyala-134'], { reversed: reviewer === 'ben' });
      if (reviewer !== 'ben') {
        const file = join(workbench.folder, 'photo-2.csv');
        writeFileSync(file, csvText([['image', 'name'], ['photos/106/132_rightphoto.jpg', reviewer === 'ana' ? 'nyala-106' : 'Rex']]));
        await workbench.importFolder(workbench.folder, { annotationFiles: [file] });
      }
      await workbench.embed({ embedder: new FakeEmbedder() });
      const decide = (a: number, b: number, verdict: 'same' | 'different') => {
        const result = workbench.decide(photo(workbench, a), photo(workbench, b), verdict, { reviewer });
        if (!('decision' in result)) throw new Error(`${reviewer}: ${a} ${verdict} ${b} not recorded`);
      };
      if (reviewer === 'ana') {
        decide(6, 8, 'same');
        decide(3, 5, 'same');
      } else if (reviewer === 'ben') {
        decide(6, 8, 'different'); // ana said "same": a tie, so apart, and a dispute
        decide(5, 7, 'same');
        decide(9, 11, 'same'); // agrees with the names
      } else {
        decide(3, 7, 'different'); // with ana's 3 = 5 and ben's 5 = 7: answers that contradict
        decide(4, 10, 'same');
        workbench.undo({ reviewer });
        decide(2, 4, 'different');
      }
      made[reviewer] = workbench.folder;
      workbench.close();
    }
    return made;
  }

  it('three catalogs synced in every order end with the same partition, log and disputes; again, nothing changes', async () => {
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
      const label = order.join(',');
      for (const other of others) {
        expect(partitionByKey(other), label).toEqual(partitionByKey(first));
        expect(logByUid(other), label).toEqual(logByUid(first));
        expect(await disputesById(other), label).toEqual(await disputesById(first));
      }
      expect(first.decisions()).toHaveLength(9);
      logs.add(JSON.stringify(logByUid(first)));

      for (const workbench of catalogs.values()) {
        const at = (i: number) => photo(workbench, i);
        const individual = (i: number) => workbench.store.annotations.byId(at(i))!.individualId;
        // ana's "same" and ben's "different" on 6 – 8 weigh alike: apart, and open.
        expect(individual(6) === null || individual(6) !== individual(8), label).toBe(true);
        const disputes = await workbench.team.disputes();
        const pair = disputes.find((d) => d.kind === 'pair');
        expect(pair?.answers.map((a) => [a.reviewer, a.verdict, [a.a, a.b].sort((x, y) => x - y)]), label).toEqual([
          ['ana', 'same', [at(6), at(8)].sort((x, y) => x - y)],
          ['ben', 'different', [at(6), at(8)].sort((x, y) => x - y)],
        ]);
        // 3 = 5 (ana), 5 = 7 (ben), 3 ≠ 7 (cid): the evidence joins 5 and 7 (the model finds them more alike)
        // and leaves 3 apart, where ana's "same" and cid's "different" disagree.
        const contradiction = disputes.find((d) => d.kind === 'contradiction');
        expect(contradiction?.answers.map((a) => `${a.reviewer} ${a.verdict}`), label).toEqual(['ana same', 'cid different']);
        expect(individual(5)).not.toBeNull();
        expect([individual(7), individual(3)]).toEqual([individual(5), null]);
        // Photo 2 was named twice: the name the store received first counts in every catalog, and both are listed.
        const names = disputes.find((d) => d.kind === 'name');
        expect(names?.names.sort(), label).toEqual(['Rex', 'nyala-106']);
        const first2 = order.indexOf('ana') < order.indexOf('cid') ? 'nyala-106' : 'Rex';
        expect(workbench.list({ ids: [at(2)] }).annotations[0].name, label).toBe(first2);
        expect(partitionByKey(workbench).find(([name]) => name === 'nyala-134')?.[1], label).toHaveLength(4);
      }

      // Syncing again pushes, pulls and changes nothing.
      const before = partitionByKey(first);
      for (const workbench of catalogs.values()) {
        expect(await workbench.team.sync()).toMatchObject({ pushed: 0, pulled: 0, applied: 0, changed: 0, held: 0 });
      }
      expect(partitionByKey(first)).toEqual(before);
      const store = new pg.Client({ connectionString: url, password: server.cluster.appPassword });
      await store.connect();
      const counts = (await store.query('SELECT count(*)::int AS events, count(DISTINCT uid)::int AS uids FROM pairx.events WHERE kind = $1', ['decision'])).rows[0];
      await store.end();
      expect(counts).toEqual({ events: 9, uids: 9 });
      for (const workbench of catalogs.values()) workbench.close();
    }
    // Whatever the order, the team's log holds the same decisions.
    expect(logs.size).toBe(1);
  });

  it('breaks the evidence’s ties alike in catalogs that number the photos differently', async () => {
    const url = await server.freshStore();
    // No model: three answers of equal weight on a triangle (1 = 3, 3 = 5, 1 ≠ 5) leave two equal ways.
    const ana = await teamCatalog(8);
    const ben = await teamCatalog(8, [], { reversed: true });
    expect(photo(ben, 1)).not.toBe(photo(ana, 1));
    ana.decide(photo(ana, 1), photo(ana, 3), 'same', { reviewer: 'ana' });
    ben.decide(photo(ben, 3), photo(ben, 5), 'same', { reviewer: 'ben' });
    ben.decide(photo(ben, 1), photo(ben, 5), 'different', { reviewer: 'cid' });
    for (const workbench of [ana, ben, ana]) await workbench.team.sync({ server: url });
    expect(partitionByKey(ben)).toEqual(partitionByKey(ana));
    expect(partitionByKey(ana)).toHaveLength(1); // one pair of the three joined, the third photo apart
    ana.close();
    ben.close();
  });

  it('two catalogs: the log, names and renames travel, an undo takes back only one’s own decisions', async () => {
    const url = await server.freshStore();
    const ana = await teamCatalog(8);
    const ben = await teamCatalog(8);
    const made = ana.decide(1, 2, 'same', { reviewer: 'ana', note: 'same notch' });
    if (!('decision' in made)) throw new Error('no decision');
    ana.renameIndividual(made.individual!.name, 'Eve', { reviewer: 'ana' });
    ana.decide(3, 4, 'same', { reviewer: 'ana' });
    await ana.team.sync({ server: url });
    expect(await ben.team.sync({ server: url })).toMatchObject({ pulled: 3, applied: 2 });
    expect(partitionByKey(ben)).toEqual(partitionByKey(ana));
    expect(partitionByKey(ben).map(([name]) => name).sort()).toEqual(['Eve', null]);
    const pulled = ben.decisions().find((d) => d.note === 'same notch')!;
    expect(pulled).toMatchObject({ reviewer: 'ana', verdict: 'same', uid: made.decision.uid, createdAt: made.decision.createdAt });
    // Each change a sync made is on record with its cause.
    const changes = ben.store.db.prepare("SELECT count(*) AS n FROM assignment_changes WHERE cause = 'sync'").get() as { n: number };
    expect(changes.n).toBe(4);

    // ben has made nothing here: there is nothing of his to take back, and ana's decisions are hers.
    expect(() => ben.undo({ reviewer: 'ben' })).toThrow("there is no decision of ben's to undo (an undo takes back only the reviewer's own decisions)");
    expect(() => ben.undo()).toThrow('there is no decision to undo');
    const own = ben.decide(5, 6, 'same', { reviewer: 'ben' });
    expect(ben.undo({ reviewer: 'ben' }).undone.id).toBe('decision' in own ? own.decision.id : -1);
    // ana takes back her newest (3 = 4); the undo travels by uid.
    expect(ana.undo({ reviewer: 'ana' }).undone.uid).toBe(ana.decisions()[1].uid);
    await ana.team.sync();
    await ben.team.sync();
    await ana.team.sync();
    expect(logByUid(ana)).toEqual(logByUid(ben));
    expect(partitionByKey(ana)).toEqual(partitionByKey(ben));
    expect(ben.list({ ids: [3, 4, 5, 6] }).annotations.map((a) => a.name)).toEqual([null, null, null, null]);
    expect(partitionByKey(ana)).toEqual([['Eve', [...keysOf(ana).entries()].filter(([id]) => id <= 2).map(([, key]) => key).sort()]]);
    ana.close();
    ben.close();
  });

  it('renames: the first to a name wins; the other is a dispute in every catalog', async () => {
    const url = await server.freshStore();
    const ana = await teamCatalog(8);
    const ben = await teamCatalog(8);
    const one = ana.decide(1, 2, 'same', { reviewer: 'ana' });
    const two = ben.decide(3, 4, 'same', { reviewer: 'ben' });
    ana.renameIndividual('decision' in one ? one.individual!.name : '', 'Eve', { reviewer: 'ana' });
    ben.renameIndividual('decision' in two ? two.individual!.name : '', 'Eve', { reviewer: 'ben' });
    for (const workbench of [ana, ben, ana]) await workbench.team.sync({ server: url });
    expect(partitionByKey(ben)).toEqual(partitionByKey(ana));
    // ana's rename reached the store first: her group is "Eve" everywhere, ben's keeps a generated name.
    expect(partitionByKey(ben).map(([name, keys]) => `${name} ${keys.length}`).sort()).toEqual(['Eve 2', 'null 2']);
    expect(ben.list({ ids: [1, 3] }).annotations.map((a) => a.name)).toEqual(['Eve', expect.stringMatching(/^ind-\d{4}$/)]);
    for (const workbench of [ana, ben]) {
      const refused = (await workbench.team.disputes()).filter((d) => d.kind === 'rename');
      expect(refused.map((d) => d.summary)).toEqual(['ben\'s rename of an individual to "Eve" was not applied: another individual holds that name']);
    }
    expect(await disputesById(ben)).toEqual(await disputesById(ana));
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
    expect((await ben.team.status()).unpushed).toBe(2); // pushed, but not yet seen back from the store
    expect(await ben.team.sync()).toMatchObject({ cancelled: false, pushed: 0, pulled: 1 });
    expect(await ana.team.sync()).toMatchObject({ pushed: 0, pulled: 2 });
    expect(logByUid(ana)).toEqual(logByUid(ben));
    expect(ben.decisions()).toHaveLength(3);
    expect(await ben.team.status()).toMatchObject({ unpushed: 0, held: 0, answersChecked: false });
    // ana's "same" and ben's "different" on 1 – 2 weigh alike: apart in both.
    expect(partitionByKey(ana)).toEqual(partitionByKey(ben));
    expect(ben.list({ ids: [1, 2] }).annotations.map((a) => a.individualId)).toEqual([null, null]);
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
    expect(await field.team.status()).toMatchObject({ held: 2 });
    expect(field.decisions()).toHaveLength(1);
    // The photos come in from the field: the decisions waiting for them join the log at import, offline.
    for (const demo of copyDemoPhotos(tempFolder(), 12).slice(8)) {
      mkdirSync(join(field.folder, 'photos/134'), { recursive: true });
      copyFileSync(join(DEMO, demo.image), join(field.folder, demo.image));
    }
    await field.importFolder(field.folder);
    expect(field.decisions()).toHaveLength(3);
    expect(await field.team.status()).toMatchObject({ held: 0 });
    expect(partitionByKey(field)).toEqual(partitionByKey(ana));
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
    const shown = ben.list({ ids: [2] }).annotations[0];
    await callApi(workbenchHandlers(ben), 'annotations.update', { id: 2, box: { x: 10, y: 10, w: shown.imageWidth - 20, h: shown.imageHeight - 20 }, reviewer: 'ben' });
    expect(await ben.team.sync({ server: url, reviewer: 'ben' })).toMatchObject({ pulled: 1, applied: 1, held: 0 });
    const [first, second] = ben.list({ ids: [1, 2] }).annotations;
    expect(first.individualId).not.toBeNull();
    expect(second.individualId).toBe(first.individualId);
    ana.close();
    ben.close();
  });

  it('carries calibration features, and a lead’s answer weighs by the accuracy the team set for the lead', async () => {
    const url = await server.freshStore();
    const ana = await teamCatalog(8);
    const ben = await teamCatalog(8);
    for (const workbench of [ana, ben]) await workbench.embed({ embedder: new FakeEmbedder() });
    ana.decide(6, 8, 'same', { reviewer: 'ana' });
    ben.decide(6, 8, 'different', { reviewer: 'ben' });
    await ana.team.sync({ server: url });
    await ben.team.sync({ server: url });
    await ana.team.sync();
    const features = (workbench: Workbench) =>
      workbench.store.db.prepare('SELECT d.uid, f.similarity, f.size_a, f.size_b FROM decision_features f JOIN decisions d ON d.id = f.decision_id ORDER BY d.uid').all();
    expect(features(ana)).toHaveLength(2);
    expect(features(ben)).toEqual(features(ana));

    const [dispute] = await ana.team.disputes();
    expect(dispute).toMatchObject({ kind: 'pair', pairs: [{ a: 6, b: 8 }] });
    expect(dispute.answers.map((a) => [a.reviewer, a.verdict, a.fileA, a.fileB])).toEqual([
      ['ana', 'same', '159_rightphoto.jpg', '274_rightphoto.jpg'],
      ['ben', 'different', '159_rightphoto.jpg', '274_rightphoto.jpg'],
    ]);
    expect(dispute.summary).toMatch(/^ana: same, ben: different on 159_rightphoto\.jpg – 274_rightphoto\.jpg; the evidence: \d+ % one animal$/);
    // The lead, whom the team trusts more, looks at the pair and says "same": one decision, nothing taken back.
    ana.setReviewerAccuracy({ reviewer: 'lea', accuracy: 0.999 });
    const settled = ana.decide(6, 8, 'same', { reviewer: 'lea' });
    expect(settled).toMatchObject({ decision: { reviewer: 'lea', verdict: 'same' } });
    expect(await ana.team.disputes()).toEqual([]);
    const joined = ana.list({ ids: [6, 8] }).annotations;
    expect(joined[0].individualId).not.toBeNull();
    expect(joined[1].individualId).toBe(joined[0].individualId);
    expect(await ana.team.sync()).toMatchObject({ pushed: 2 }); // the decision and the lead's accuracy
    await ben.team.sync();
    expect(ben.reviewers().find((r) => r.reviewer === 'lea')).toMatchObject({ set: 0.999 });
    expect(await ben.team.disputes()).toEqual([]);
    expect(partitionByKey(ben)).toEqual(partitionByKey(ana));
    expect(ben.decisions().map((d) => [d.verdict, d.reviewer])).toEqual([
      ['different', 'ben'],
      ['same', 'ana'],
      ['same', 'lea'],
    ]);
    // ben's own setting for the lead, made later, is the team's from then on.
    ben.setReviewerAccuracy({ reviewer: 'lea', accuracy: 0.9 });
    await ben.team.sync();
    await ana.team.sync();
    expect(ana.reviewers().find((r) => r.reviewer === 'lea')).toMatchObject({ set: 0.9 });
    expect(partitionByKey(ben)).toEqual(partitionByKey(ana));
    expect(await ana.team.sync()).toMatchObject({ pushed: 0, pulled: 0, changed: 0 });
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
      expect(await ana.team.status()).toMatchObject({ unpushed: 1 });
    } finally {
      server.cluster.start();
    }
    expect(await ana.team.sync()).toMatchObject({ pushed: 1 });
    ana.close();
  });
});
