import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Workbench } from '../../src/main/workbench.ts';
import { TeamLocalStore } from '../../src/main/team/local-log.ts';
import { copyDemoPhotos, csvText, demoPhotos, tempFolder, type DemoPhoto } from '../catalog/helpers.ts';
import { startCluster, type PgCluster } from '../fixtures/pg-cluster.ts';
import { initTeamStore } from '../../src/main/team/admin.ts';

/**
 * A catalog of the first `count` demo photos (real nyala photos, resources/demo), imported with a CSV
 * that names the photos of the individuals listed in `named` (by default none): what a field laptop holds
 * before its reviewer starts. `reversed`: the photos are imported folder by folder, last folder first, so
 * that the same photo has another id here than in a catalog imported in order (ids are each catalog's own).
 */
export async function teamCatalog(count = 12, named: string[] = [], options: { reversed?: boolean } = {}): Promise<Workbench> {
  const root = tempFolder('pairx-team-');
  const photos = copyDemoPhotos(root, count);
  const workbench = Workbench.init(root);
  const row = (p: DemoPhoto, image: string) => [image, named.includes(p.name) ? p.name : '', p.side];
  if (!options.reversed) {
    writeFileSync(join(root, 'names.csv'), csvText([['image', 'name', 'side'], ...photos.map((p) => row(p, p.image))]));
    await workbench.importFolder(root, { annotationFiles: [join(root, 'names.csv')] });
    return workbench;
  }
  const folders = [...new Set(photos.map((p) => dirname(p.image)))].reverse();
  for (const folder of folders) {
    const file = join(root, `names-${basename(folder)}.csv`);
    writeFileSync(file, csvText([['image', 'name', 'side'], ...photos.filter((p) => dirname(p.image) === folder).map((p) => row(p, basename(p.image)))]));
    await workbench.importFolder(join(root, folder), { annotationFiles: [file] });
  }
  return workbench;
}

/** The id the i-th demo photo (1-based, in resources/demo/annotations.csv's order) has in this catalog. */
export function photo(workbench: Workbench, i: number): number {
  const image = demoPhotos()[i - 1].image;
  const found = workbench.list({ limit: 10_000 }).annotations.find((a) => a.image === image);
  if (!found) throw new Error(`no annotation on ${image}`);
  return found.id;
}

/** An annotation's key (photo hash and box) by id, the same in every catalog of the team. */
export function keysOf(workbench: Workbench): Map<number, string> {
  return new Map(new TeamLocalStore(workbench.store.db).annotations().map((a) => [a.id, a.key]));
}

/** The annotation id a key has in this catalog. */
export function idOf(workbench: Workbench, key: string): number {
  for (const [id, k] of keysOf(workbench)) if (k === key) return id;
  throw new Error(`no annotation ${key}`);
}

/**
 * Who is who, by keys: each group of annotations (by key, sorted) with the name a person gave it (an import
 * or a rename), or null for a group only answers made (its generated name, ind-0001…, is each catalog's own).
 */
export function partitionByKey(workbench: Workbench): [string | null, string[]][] {
  const keys = keysOf(workbench);
  return workbench
    .listIndividuals()
    .map((individual): [string | null, string[]] => [
      workbench.store.individuals.isNamed(individual.id) ? individual.name : null,
      individual.annotations.map((a) => keys.get(a.id)!).sort(),
    ])
    .sort((x, y) => (x[1][0] < y[1][0] ? -1 : 1));
}

/** The team log as this catalog holds it: every decision by uid with what it says (ids as keys), plus held ones. */
export function logByUid(workbench: Workbench): string[] {
  const keys = keysOf(workbench);
  const byId = new Map(workbench.decisions().map((d) => [d.id, d]));
  const entries = workbench.decisions().map((d) =>
    [d.uid, d.verdict, d.reviewer, d.createdAt, keys.get(d.a), keys.get(d.b), d.undoes === null ? '' : byId.get(d.undoes)!.uid, d.merge ?? '', d.note ?? ''].join('|'),
  );
  const held = workbench.store.db
    .prepare<[], { uid: string; event: string }>("SELECT uid, event FROM team_events WHERE held IS NOT NULL")
    .all()
    .map(({ event }) => {
      const e = JSON.parse(event) as { uid: string; verdict: string; reviewer: string; createdAt: string; a: string; b: string; undoes: string | null; merge: string | null; note: string | null };
      return [e.uid, e.verdict, e.reviewer, e.createdAt, e.a, e.b, e.undoes ?? '', e.merge ?? '', e.note ?? ''].join('|');
    });
  return [...entries, ...held].sort();
}

/** The open disputes, by what identifies them in every catalog: id, kind, the answers' uids. */
export async function disputesById(workbench: Workbench): Promise<string[]> {
  return (await workbench.team.disputes()).map((d) => `${d.id}|${d.kind}|${d.answers.map((a) => a.uid).sort().join(',')}|${d.names.join(',')}`).sort();
}

export interface TeamServer {
  cluster: PgCluster;
  /** A fresh database with an initialised team store; answers the reviewers' URL (password via PGPASSWORD). */
  freshStore: () => Promise<string>;
}

let databases = 0;

/** One throwaway cluster per test file; each test gets its own database and store. */
export async function teamServer(): Promise<TeamServer> {
  const cluster = await startCluster();
  process.env.PGPASSWORD = cluster.appPassword;
  return {
    cluster,
    freshStore: async () => {
      const database = `store_${process.pid}_${++databases}`;
      cluster.sql(`CREATE DATABASE ${database}`);
      await initTeamStore(cluster.ownerUrl(database), { appRole: cluster.appRole, password: cluster.ownerPassword });
      return cluster.appUrl(database);
    },
  };
}
