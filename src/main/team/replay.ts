import type { MergeChoice } from '../../shared/api.ts';

/**
 * Who is who, replayed from the log: the stand-in for issue 16's resolver (`Workbench.resolveIdentities`)
 * until it lands. Pure: the same names a person gave, the same decisions in force and renames in the same
 * order give the same individuals with the same names in every catalog, whatever order the catalogs
 * synced in. It keeps today's meaning of a decision (catalog/decisions.ts): "same" joins an unnamed
 * annotation to the other's individual, makes a new individual of two unnamed ones, and joins two
 * individuals only with a confirmed merge choice (keep-a / keep-b); "different" and "unsure" move
 * nothing. A "same" between two individuals without a merge choice (decided where there was nothing to
 * confirm) merges nothing and is reported, so that no merge is made or lost silently.
 */

export type ReplayEvent =
  | {
      kind: 'decision';
      uid: string;
      a: number;
      b: number;
      verdict: 'same' | 'different' | 'unsure';
      merge: MergeChoice | null;
      /** The name the deciding catalog generated for a new individual, kept where it is free. */
      createdIndividual: string | null;
    }
  | {
      kind: 'rename';
      uid: string;
      /** Annotations of the renamed individual, as this catalog has them, most telling first. */
      members: number[];
      name: string;
    };

export interface ReplayInput {
  annotations: Iterable<number>;
  /** The name a person gave an annotation (an import), where one did. */
  given: ReadonlyMap<number, string>;
  /** Decisions in force and renames, in the team's order (store receipt order, then this catalog's). */
  events: readonly ReplayEvent[];
}

export interface UnconfirmedMerge {
  uid: string;
  a: number;
  b: number;
  nameA: string;
  nameB: string;
}

export interface RefusedRename {
  uid: string;
  name: string;
  /** The individual whose name it would have taken. */
  takenBy: string;
}

export interface ReplayResult {
  /** Each annotation's individual's name; absent for an annotation on its own. */
  nameOf: Map<number, string>;
  /** Whether a person gave the name (an import or a rename), by name. */
  named: Map<string, boolean>;
  unconfirmedMerges: UnconfirmedMerge[];
  refusedRenames: RefusedRename[];
}

interface Cluster {
  name: string;
  named: boolean;
  members: number[];
}

export function replay(input: ReplayInput): ReplayResult {
  const clusterOf = new Map<number, Cluster>();
  const byName = new Map<string, Cluster>();
  const unconfirmedMerges: UnconfirmedMerge[] = [];
  const refusedRenames: RefusedRename[] = [];

  for (const annotation of input.annotations) {
    const name = input.given.get(annotation);
    if (name === undefined) continue;
    let cluster = byName.get(name);
    if (!cluster) byName.set(name, (cluster = { name, named: true, members: [] }));
    cluster.members.push(annotation);
    clusterOf.set(annotation, cluster);
  }

  const join = (cluster: Cluster, annotation: number) => {
    cluster.members.push(annotation);
    clusterOf.set(annotation, cluster);
  };
  const freeName = (candidates: (string | null)[]): string => {
    for (const candidate of candidates) if (candidate !== null && !byName.has(candidate)) return candidate;
    throw new Error('no free name for a new individual'); // the last candidate is a whole UUID
  };

  for (const event of input.events) {
    if (event.kind === 'rename') {
      const member = event.members.find((annotation) => clusterOf.has(annotation));
      if (member === undefined) continue; // the individual has dissolved (its "same" was undone)
      const cluster = clusterOf.get(member)!;
      if (cluster.name === event.name) {
        cluster.named = true;
        continue;
      }
      const taken = byName.get(event.name);
      if (taken) {
        refusedRenames.push({ uid: event.uid, name: event.name, takenBy: taken.name });
        continue;
      }
      byName.delete(cluster.name);
      cluster.name = event.name;
      cluster.named = true;
      byName.set(event.name, cluster);
      continue;
    }
    if (event.verdict !== 'same') continue;
    const ca = clusterOf.get(event.a);
    const cb = clusterOf.get(event.b);
    if (!ca && !cb) {
      const name = freeName([event.createdIndividual, `ind-${event.uid.slice(0, 8)}`, `ind-${event.uid}`]);
      const cluster: Cluster = { name, named: false, members: [] };
      byName.set(name, cluster);
      join(cluster, event.a);
      join(cluster, event.b);
    } else if (!ca || !cb) {
      if (ca) join(ca, event.b);
      else join(cb!, event.a);
    } else if (ca !== cb) {
      if (event.merge === null) {
        unconfirmedMerges.push({ uid: event.uid, a: event.a, b: event.b, nameA: ca.name, nameB: cb.name });
        continue;
      }
      const [keep, drop] = event.merge === 'keep-a' ? [ca, cb] : [cb, ca];
      for (const annotation of drop.members) join(keep, annotation);
      drop.members = [];
      byName.delete(drop.name);
    }
  }

  const nameOf = new Map<number, string>();
  const named = new Map<string, boolean>();
  for (const [annotation, cluster] of clusterOf) nameOf.set(annotation, cluster.name);
  for (const cluster of byName.values()) named.set(cluster.name, cluster.named);
  return { nameOf, named, unconfirmedMerges, refusedRenames };
}
