import type { HumanEvidence } from './evidence.ts';
import { pairNumber } from './knowledge.ts';

/**
 * Who is who, from the evidence: the partition of a catalog's annotations that the answers and the
 * model support best. Pure: a function of the evidence and the model's similarities, so that an undo
 * gives back exactly the partition before the decision, and two catalogs with the same log agree.
 *
 * Only the reviewer merges: two groups are joined only where answers say "same" between them (or a person
 * gave them one name), so the partition is computed per component of the graph of net-"same" pairs and
 * person-given names, and a decision re-resolves only the components it touches. Inside a component the
 * groups are merged best-first, each time the pair of groups with the highest posterior log-odds of being
 * one animal (the model's calibrated log-odds for the two groups plus every answer between them), as long
 * as that is above the threshold: a "same" on a pair the model finds unlike, or one that other answers
 * contradict, does not join two groups until more evidence agrees. Names a person gave are atomic: their
 * photos stay together whatever the answers, and only an answer can join two of them.
 */

/** What the model knows of two groups of annotations: their cross-pair similarities and their sizes. */
export interface GroupStats {
  /** The highest cosine similarity between a member of one and a member of the other. */
  maxSimilarity: number;
  /** The mean over all cross pairs. */
  meanSimilarity: number;
  sizeA: number;
  sizeB: number;
}

export interface ResolveModel {
  /** Cosine similarity of two annotations, or undefined where the model has no vector for one. */
  similarity(a: number, b: number): number | undefined;
  /** The model's log-odds that two groups are one animal. */
  logOdds(stats: GroupStats): number;
}

/** Posterior log-odds above which two groups are one animal: more likely one than two. */
export const MERGE_THRESHOLD = 0;

/** A bipartition of a resolved cluster, and how strongly the evidence holds its two sides together. */
export interface Cut {
  /** The smaller side (annotation ids) and the rest. */
  side: number[];
  rest: number[];
  /** Net answers across the cut (log-odds), the model's log-odds, and their sum. */
  human: number;
  model: number;
  logOdds: number;
}

export interface ResolvedCluster {
  members: number[];
  /** The person-given individual ids inside (seeds). */
  seeds: number[];
  /** The weakest of the cluster's cuts (null for a cluster of one seed). */
  weakest: Cut | null;
  /** Every cut considered, weakest first (empty for a cluster of one seed). */
  cuts: Cut[];
}

export interface ComponentInput {
  members: readonly number[];
  /** The individual a person gave an annotation (an import), or null. */
  seedOf: (annotation: number) => number | null;
  evidence: HumanEvidence;
  model: ResolveModel;
  threshold?: number;
}

/** Union–find over annotation ids. */
class DisjointSets {
  private readonly parent = new Map<number, number>();
  find(x: number): number {
    let root = this.parent.get(x) ?? x;
    if (root === x) return x;
    root = this.find(root);
    this.parent.set(x, root);
    return root;
  }
  union(x: number, y: number): void {
    const rx = this.find(x);
    const ry = this.find(y);
    if (rx !== ry) this.parent.set(Math.max(rx, ry), Math.min(rx, ry));
  }
}

/**
 * The components of the catalog that evidence can join: annotations linked by a net "same" or by one
 * person-given name. Each is resolved on its own; an annotation without such a link is its own.
 */
export function components(
  annotations: Iterable<number>,
  seedOf: (annotation: number) => number | null,
  evidence: HumanEvidence,
): number[][] {
  const sets = new DisjointSets();
  const seedRoot = new Map<number, number>();
  const all: number[] = [];
  for (const id of annotations) {
    all.push(id);
    const seed = seedOf(id);
    if (seed === null) continue;
    const root = seedRoot.get(seed);
    if (root === undefined) seedRoot.set(seed, id);
    else sets.union(root, id);
  }
  const present = new Set(all);
  for (const [key, net] of evidence.net) {
    if (net <= 0) continue;
    const a = Math.floor(key / 2 ** 26);
    const b = key - a * 2 ** 26;
    if (present.has(a) && present.has(b)) sets.union(a, b);
  }
  const groups = new Map<number, number[]>();
  for (const id of all) {
    const root = sets.find(id);
    const group = groups.get(root);
    if (group) group.push(id);
    else groups.set(root, [id]);
  }
  return [...groups.values()].map((group) => group.sort((x, y) => x - y));
}

/** Similarity sums and maxima between seeds, so that any two groups of seeds are scored without vectors. */
class SeedStats {
  readonly count: number;
  private readonly sum: Float64Array;
  private readonly max: Float64Array;
  private readonly known: Uint8Array;

  constructor(
    readonly seeds: readonly number[][],
    model: ResolveModel,
  ) {
    const n = seeds.length;
    this.count = n;
    this.sum = new Float64Array(n * n);
    this.max = new Float64Array(n * n).fill(-Infinity);
    this.known = new Uint8Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let sum = 0;
        let max = -Infinity;
        let all = true;
        for (const a of seeds[i]) {
          for (const b of seeds[j]) {
            const s = model.similarity(a, b);
            if (s === undefined) {
              all = false;
              continue;
            }
            sum += s;
            if (s > max) max = s;
          }
        }
        this.sum[i * n + j] = this.sum[j * n + i] = sum;
        this.max[i * n + j] = this.max[j * n + i] = max;
        this.known[i * n + j] = this.known[j * n + i] = all ? 1 : 0;
      }
    }
  }

  /** The model's statistics of two groups of seeds, or null where a vector is missing. */
  between(groupA: readonly number[], groupB: readonly number[]): GroupStats | null {
    const n = this.count;
    let sum = 0;
    let max = -Infinity;
    let sizeA = 0;
    let sizeB = 0;
    for (const i of groupA) sizeA += this.seeds[i].length;
    for (const j of groupB) sizeB += this.seeds[j].length;
    for (const i of groupA) {
      for (const j of groupB) {
        if (!this.known[i * n + j]) return null;
        sum += this.sum[i * n + j];
        if (this.max[i * n + j] > max) max = this.max[i * n + j];
      }
    }
    return { maxSimilarity: max, meanSimilarity: sum / (sizeA * sizeB), sizeA, sizeB };
  }
}

/**
 * Resolves one component: seeds (person-given names, else single annotations) merged best-first by
 * posterior log-odds while that is above the threshold. Ties go to the pair with the smallest ids, so the
 * result depends on nothing but the evidence.
 */
export function resolveComponent(input: ComponentInput): ResolvedCluster[] {
  const threshold = input.threshold ?? MERGE_THRESHOLD;
  const { seeds, seedIds } = seedGroups(input.members, input.seedOf);
  const stats = new SeedStats(seeds, input.model);
  const n = seeds.length;
  // Net answers between seeds.
  const human = new Float64Array(n * n);
  const indexOf = new Map<number, number>();
  seeds.forEach((members, i) => members.forEach((id) => indexOf.set(id, i)));
  for (const id of input.members) {
    const partners = input.evidence.partners.get(id);
    if (!partners) continue;
    const i = indexOf.get(id)!;
    for (const other of partners) {
      const j = indexOf.get(other);
      if (j === undefined || j === i || other < id) continue;
      const net = input.evidence.netOf(id, other);
      human[i * n + j] += net;
      human[j * n + i] += net;
    }
  }

  // Groups of seed indices; merged groups are replaced by their union.
  let groups: number[][] = seeds.map((_, i) => [i]);
  const humanBetween = (x: readonly number[], y: readonly number[]): number => {
    let sum = 0;
    for (const i of x) for (const j of y) sum += human[i * n + j];
    return sum;
  };
  const modelBetween = (x: readonly number[], y: readonly number[]): number => {
    const s = stats.between(x, y);
    return s === null ? 0 : input.model.logOdds(s);
  };
  const firstId = (group: readonly number[]) => Math.min(...group.map((i) => seeds[i][0]));
  const named = (group: readonly number[]) => group.some((i) => seedIds[i] !== null);

  for (;;) {
    let best: { x: number; y: number; logOdds: number; order: number } | null = null;
    for (let x = 0; x < groups.length; x++) {
      for (let y = x + 1; y < groups.length; y++) {
        const h = humanBetween(groups[x], groups[y]);
        if (h <= 0) continue;
        // Two person-given names are two animals unless an answer joins them (it has, h > 0); the
        // model's opinion does not weigh against a person's explicit merge.
        const m = named(groups[x]) && named(groups[y]) ? 0 : modelBetween(groups[x], groups[y]);
        const logOdds = h + m;
        if (logOdds <= threshold) continue;
        const order = Math.min(firstId(groups[x]), firstId(groups[y]));
        if (!best || logOdds > best.logOdds + 1e-12 || (Math.abs(logOdds - best.logOdds) <= 1e-12 && order < best.order))
          best = { x, y, logOdds, order };
      }
    }
    if (!best) break;
    const merged = [...groups[best.x], ...groups[best.y]];
    groups = groups.filter((_, i) => i !== best!.x && i !== best!.y);
    groups.push(merged);
  }

  return groups
    .map((group) => {
      const members = group.flatMap((i) => seeds[i]).sort((x, y) => x - y);
      const cuts = clusterCuts(group, seeds, human, n, humanBetween, modelBetween);
      return {
        members,
        seeds: group.map((i) => seedIds[i]).filter((id): id is number => id !== null),
        weakest: cuts[0] ?? null,
        cuts,
      };
    })
    .sort((x, y) => x.members[0] - y.members[0]);
}

/** Seeds of a component: one per person-given individual, one per other annotation, in id order. */
function seedGroups(members: readonly number[], seedOf: (annotation: number) => number | null) {
  const bySeed = new Map<number, number[]>();
  const seeds: number[][] = [];
  const seedIds: (number | null)[] = [];
  for (const id of [...members].sort((x, y) => x - y)) {
    const seed = seedOf(id);
    if (seed === null) {
      seeds.push([id]);
      seedIds.push(null);
      continue;
    }
    const group = bySeed.get(seed);
    if (group) group.push(id);
    else {
      const fresh = [id];
      bySeed.set(seed, fresh);
      seeds.push(fresh);
      seedIds.push(seed);
    }
  }
  return { seeds, seedIds };
}

/**
 * The cuts of a cluster, weakest first: each seed against the rest and the two sides of each link of the
 * strongest tree of net "same" answers between its seeds (the links a chain of merges hangs on).
 */
function clusterCuts(
  group: readonly number[],
  seeds: readonly number[][],
  human: Float64Array,
  n: number,
  humanBetween: (x: readonly number[], y: readonly number[]) => number,
  modelBetween: (x: readonly number[], y: readonly number[]) => number,
): Cut[] {
  if (group.length < 2) return [];
  const candidates: number[][] = [];
  const seen = new Set<string>();
  const add = (side: number[]) => {
    if (side.length === 0 || side.length === group.length) return;
    const small = side.length * 2 <= group.length ? side : group.filter((i) => !side.includes(i));
    const key = [...small].sort((x, y) => x - y).join(',');
    if (seen.has(key)) return;
    seen.add(key);
    candidates.push(small);
  };
  for (const i of group) add([i]);
  for (const side of treeCuts(group, human, n)) add(side);

  return candidates
    .map((side) => {
      const rest = group.filter((i) => !side.includes(i));
      const h = humanBetween(side, rest);
      const m = modelBetween(side, rest);
      return {
        side: side.flatMap((i) => seeds[i]).sort((x, y) => x - y),
        rest: rest.flatMap((i) => seeds[i]).sort((x, y) => x - y),
        human: h,
        model: m,
        logOdds: h + m,
      };
    })
    .sort((x, y) => x.logOdds - y.logOdds || x.side[0] - y.side[0]);
}

/** For each link of a maximum spanning tree of net-"same" weights between seeds, the seeds on one side. */
function treeCuts(group: readonly number[], human: Float64Array, n: number): number[][] {
  // Prim's algorithm over the group's seeds (a group is small).
  const inTree = new Set<number>([group[0]]);
  const links: [number, number][] = [];
  while (inTree.size < group.length) {
    let best: [number, number, number] | null = null;
    for (const i of inTree) {
      for (const j of group) {
        if (inTree.has(j)) continue;
        const w = human[i * n + j];
        if (!best || w > best[2]) best = [i, j, w];
      }
    }
    inTree.add(best![1]);
    links.push([best![0], best![1]]);
  }
  return links.map(([cutFrom, cutTo]) => {
    // The side of cutTo once the link is removed.
    const side = new Set<number>([cutTo]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const [x, y] of links) {
        if ((x === cutFrom && y === cutTo) || (x === cutTo && y === cutFrom)) continue;
        if (side.has(x) && !side.has(y)) {
          side.add(y);
          grew = true;
        } else if (side.has(y) && !side.has(x)) {
          side.add(x);
          grew = true;
        }
      }
    }
    return [...side];
  });
}

export { pairNumber };
