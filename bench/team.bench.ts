/**
 * The team benchmark (`npm run bench:team`), on a throwaway PostgreSQL cluster (test/fixtures/pg-cluster.ts):
 *
 * 1. Five reviewers, each with a catalog of the same synthetic photos (neighbour graph built, as the review
 *    queue builds it), record 2,000 decisions apiece offline
 *    (a reviewer wrong on 5 % of answers, some pairs asked of several reviewers), then sync into one store
 *    and back: each syncs once, then the first four again. Target: all of it under 10 s; every catalog ends
 *    with the same individuals.
 * 2. A catalog of 100,000 annotations (vectors and neighbour graph built first, not timed) syncs 2,000
 *    decisions another reviewer made on some of its photos; then the review queue is asked for its first
 *    question. Target: the first question within 1 s after the sync.
 *
 *   npm run bench:team [-- --reviewers 5 --decisions 2000 --photos 4000 --scale 100000 --dim 64]
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initTeamStore } from '../src/main/team/admin.ts';
import { TeamLocalStore } from '../src/main/team/local-log.ts';
import { Workbench } from '../src/main/workbench.ts';
import { hasPostgres, startCluster, type PgCluster } from '../test/fixtures/pg-cluster.ts';
import { fillSynthetic, gaussian, seededRandom } from '../test/fixtures/synthetic-catalog.ts';

const { values } = parseArgs({
  options: {
    reviewers: { type: 'string', default: '5' },
    decisions: { type: 'string', default: '2000' },
    photos: { type: 'string', default: '4000' },
    scale: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '64' },
  },
});
const REVIEWERS = Number(values.reviewers);
const DECISIONS = Number(values.decisions);
const PHOTOS = Number(values.photos);
const SCALE = Number(values.scale);
const DIM = Number(values.dim);
/** Photos per animal in the synthetic catalogs. */
const PER_ANIMAL = 5;
const SEED = 21;

const emit = (record: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(record)}\n`);
const seconds = (since: number) => +((performance.now() - since) / 1000).toFixed(2);

/** A catalog of the team's synthetic photos (the same content hashes in every one), `count` of them. */
function syntheticCatalog(root: string, count: number, dim: number): Workbench {
  mkdirSync(root, { recursive: true });
  const workbench = Workbench.init(root);
  let centre = new Float32Array(dim);
  fillSynthetic(workbench.store, {
    count,
    dim,
    seed: SEED,
    model: `synthetic-${dim}`,
    side: () => 'left',
    keepVectors: false,
    vector: (i, random) => {
      if (i % PER_ANIMAL === 0) centre = Float32Array.from({ length: dim }, () => gaussian(random));
      return Float32Array.from(centre, (c) => c + 0.8 * gaussian(random));
    },
  });
  return workbench;
}

/**
 * A reviewer's offline answers: half on pairs of one animal, half on random pairs, drawn from a pool
 * shared by the team (so that some pairs are answered by several reviewers), 5 % of answers wrong.
 */
function review(workbench: Workbench, reviewer: string, seed: number, count: number, photos: number): void {
  const random = seededRandom(seed);
  const pool = seededRandom(SEED);
  const shared = Array.from({ length: count * 2 }, () => {
    const a = 1 + Math.floor(pool() * photos);
    const sameAnimal = pool() < 0.5;
    const b = sameAnimal ? 1 + Math.floor((a - 1) / PER_ANIMAL) * PER_ANIMAL + Math.floor(pool() * PER_ANIMAL) : 1 + Math.floor(pool() * photos);
    return [a, b] as const;
  });
  let made = 0;
  while (made < count) {
    const [a, b] = random() < 0.3 ? shared[Math.floor(random() * shared.length)] : shared[(made * 7 + seed) % shared.length];
    if (a === b) continue;
    const truth = Math.floor((a - 1) / PER_ANIMAL) === Math.floor((b - 1) / PER_ANIMAL);
    const answer = random() < 0.05 ? !truth : truth;
    const result = workbench.decide(a, b, answer ? 'same' : 'different', { reviewer, confirmMerge: random() < 0.5 ? 'keep-a' : 'keep-b' });
    if ('decision' in result) made++;
  }
}

/** The partition by photo keys with the names people gave (generated names are each catalog's own). */
function signature(workbench: Workbench): string {
  const keys = new Map(new TeamLocalStore(workbench.store.db).annotations().map((a) => [a.id, a.key]));
  return JSON.stringify(
    workbench
      .listIndividuals()
      .map((individual) => [workbench.store.individuals.isNamed(individual.id) ? individual.name : null, individual.annotations.map((a) => keys.get(a.id)!).sort()] as const)
      .sort((x, y) => (x[1][0] < y[1][0] ? -1 : 1)),
  );
}

async function fiveReviewers(cluster: PgCluster, root: string): Promise<void> {
  cluster.sql('CREATE DATABASE five');
  await initTeamStore(cluster.ownerUrl('five'), { appRole: cluster.appRole, password: cluster.ownerPassword });
  const url = cluster.appUrl('five');
  let start = performance.now();
  const catalogs: Workbench[] = [];
  for (let r = 0; r < REVIEWERS; r++) catalogs.push(syntheticCatalog(join(root, `reviewer-${r}`), PHOTOS, 16));
  // A reviewer works from the review queue, so each catalog has its neighbour graph before it syncs (not timed).
  for (const workbench of catalogs) await workbench.candidates({ limit: 1 });
  const fillSeconds = seconds(start);
  start = performance.now();
  catalogs.forEach((workbench, r) => review(workbench, `reviewer-${r}`, 100 + r, DECISIONS, PHOTOS));
  const decideSeconds = seconds(start);

  const syncs: { reviewer: number; seconds: number; pushed: number; pulled: number; changed: number }[] = [];
  start = performance.now();
  const order = [...catalogs.keys(), ...catalogs.keys()].slice(0, 2 * REVIEWERS - 1);
  for (const r of order) {
    const summary = await catalogs[r].team.sync({ server: url });
    syncs.push({ reviewer: r, seconds: +summary.seconds.toFixed(2), pushed: summary.pushed, pulled: summary.pulled, changed: summary.changed });
  }
  const total = seconds(start);
  const signatures = new Set(catalogs.map(signature));
  const disputes = (await catalogs[0].team.disputes()).length;
  emit({
    bench: 'team-sync',
    reviewers: REVIEWERS,
    decisionsEach: DECISIONS,
    photos: PHOTOS,
    fillSeconds,
    decideSeconds,
    syncSeconds: total,
    target: '< 10 s',
    slowestSyncSeconds: Math.max(...syncs.map((s) => s.seconds)),
    logEntries: catalogs[0].decisions().length,
    individuals: catalogs[0].listIndividuals().length,
    disputes,
    sameIndividualsEverywhere: signatures.size === 1,
    syncs,
  });
  for (const workbench of catalogs) workbench.close();
}

async function largeCatalog(cluster: PgCluster, root: string): Promise<void> {
  cluster.sql('CREATE DATABASE large');
  await initTeamStore(cluster.ownerUrl('large'), { appRole: cluster.appRole, password: cluster.ownerPassword });
  const url = cluster.appUrl('large');
  let start = performance.now();
  const big = syntheticCatalog(join(root, 'large'), SCALE, DIM);
  const fillSeconds = seconds(start);
  start = performance.now();
  await big.candidates({ limit: 1 });
  const graphSeconds = seconds(start);
  for (let i = 0; i < 3; i++) await big.candidates({ limit: 1 });
  start = performance.now();
  await big.candidates({ limit: 20 });
  const questionBeforeMs = +(performance.now() - start).toFixed(0);
  await big.team.sync({ server: url, reviewer: 'lead' });

  // Another reviewer, on a laptop with the first 5,000 of the same photos, decides offline and syncs.
  const field = syntheticCatalog(join(root, 'field'), Math.min(5000, SCALE), DIM);
  review(field, 'field', 7, DECISIONS, Math.min(5000, SCALE));
  await field.team.sync({ server: url });
  field.close();

  start = performance.now();
  const summary = await big.team.sync();
  const syncSeconds = seconds(start);
  start = performance.now();
  const first = await big.candidates({ limit: 20 });
  const firstQuestionMs = +(performance.now() - start).toFixed(0);
  start = performance.now();
  const disputes = (await big.team.disputes()).length;
  const disputesMs = +(performance.now() - start).toFixed(0);
  emit({
    bench: 'team-large-catalog',
    annotations: SCALE,
    dim: DIM,
    fillSeconds,
    graphBuildSeconds: graphSeconds,
    firstQuestionBeforeSyncMs: questionBeforeMs,
    syncSeconds,
    pulled: summary.pulled,
    changed: summary.changed,
    firstQuestionAfterSyncMs: firstQuestionMs,
    target: '<= 1000 ms',
    questions: first.queue.length,
    disputes,
    disputesMs,
    rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
  });
  big.close();
}

if (!hasPostgres) {
  process.stderr.write('bench:team needs PostgreSQL (apt-get install -y postgresql)\n');
  process.exit(1);
}
const cluster = await startCluster();
process.env.PGPASSWORD = cluster.appPassword;
const root = mkdtempSync(join(tmpdir(), 'pairx-bench-team-'));
try {
  await fiveReviewers(cluster, root);
  if (SCALE > 0) await largeCatalog(cluster, root);
} finally {
  cluster.destroy();
  rmSync(root, { recursive: true, force: true });
}
