import type { HumanEvidence } from './evidence.ts';
import { PAIR_BASE } from './knowledge.ts';

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
/**
 * Net answers closer to zero than this are a tie ("same" and "different" of equal weight): sums of
 * log-odds in floating point must not decide who is who by their last bit.
 */
export const TIE = 1e-9;

/** A bipartition of a resolved cluster, and how strongly the evidence holds its two sides together. */
export interface Cut {
  /** One side (annotation ids; the smaller, or the single seed) and the rest. */
  side: number[];
  rest: number[];
  /** Net answers across the cut (log-odds), the model's log-odds, and their sum. */
  human: number;
  model: number;
  logOdds: number;
  /**
   * What the model's log-odds were computed from (null where a vector is missing or both sides carry a
   * person's name, which the model does not weigh against): a cut can be weighed again with a newer
   * calibration without looking at vectors.
   */
  stats: GroupStats | null;
}

export interface ResolvedCluster {
  members: number[];
  /** The person-given individual ids inside (seeds). */
  seeds: number[];
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
    let root = x;
    for (let next = this.parent.get(root); next !== undefined && next !== root; next = this.parent.get(root)) root = next;
    // Path compression, iteratively (components can be long chains).
    for (let node = x; node !== root; ) {
      const next = this.parent.get(node)!;
      this.parent.set(node, root);
      node = next;
    }
    return root;
  }
  union(x: number, y: number): void {
    const rx = this.find(x);
    const ry = this.find(y);
    if (rx !== ry) this.parent.set(Math.max(rx, ry), Math.min(rx, ry));
  }
}

/**
 * The components of a catalog that evidence can join: annotations linked by a net "same" or by one
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
    if (net <= TIE) continue;
    const a = Math.floor(key / PAIR_BASE);
    const b = key - a * PAIR_BASE;
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

/**
 * The component around some annotations: every annotation reachable from them through net-"same" pairs
 * and shared person-given names (`givenMembers` lists a given individual's annotations).
 */
export function componentAround(
  start: Iterable<number>,
  seedOf: (annotation: number) => number | null,
  givenMembers: (individual: number) => readonly number[],
  evidence: HumanEvidence,
): number[] {
  const seen = new Set<number>();
  const seedsSeen = new Set<number>();
  const stack = [...start];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const seed = seedOf(id);
    if (seed !== null && !seedsSeen.has(seed)) {
      seedsSeen.add(seed);
      for (const other of givenMembers(seed)) if (!seen.has(other)) stack.push(other);
    }
    for (const other of evidence.partners.get(id) ?? []) if (!seen.has(other) && evidence.netOf(id, other) > TIE) stack.push(other);
  }
  return [...seen].sort((x, y) => x - y);
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
 * Pairwise sums between seeds (net answers, similarity sum and maximum, whether every cross pair has
 * vectors), so that any two groups of seeds are scored without looking at annotations again.
 */
class SeedMatrix {
  readonly n: number;
  readonly human: Float64Array;
  readonly simSum: Float64Array;
  readonly simMax: Float64Array;
  readonly known: Uint8Array;
  readonly sizes: number[];

  constructor(seeds: readonly number[][], evidence: HumanEvidence, model: ResolveModel) {
    const n = seeds.length;
    this.n = n;
    this.sizes = seeds.map((members) => members.length);
    this.human = new Float64Array(n * n);
    this.simSum = new Float64Array(n * n);
    this.simMax = new Float64Array(n * n).fill(-Infinity);
    this.known = new Uint8Array(n * n);
    const indexOf = new Map<number, number>();
    seeds.forEach((members, i) => members.forEach((id) => indexOf.set(id, i)));
    for (const [i, members] of seeds.entries()) {
      for (const id of members) {
        for (const other of evidence.partners.get(id) ?? []) {
          const j = indexOf.get(other);
          if (j === undefined || j === i || other < id) continue;
          const net = evidence.netOf(id, other);
          this.human[i * n + j] += net;
          this.human[j * n + i] += net;
        }
      }
    }
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let sum = 0;
        let max = -Infinity;
        let all = 1;
        for (const a of seeds[i]) {
          for (const b of seeds[j]) {
            const s = model.similarity(a, b);
            if (s === undefined) {
              all = 0;
              continue;
            }
            sum += s;
            if (s > max) max = s;
          }
        }
        this.simSum[i * n + j] = this.simSum[j * n + i] = sum;
        this.simMax[i * n + j] = this.simMax[j * n + i] = max;
        this.known[i * n + j] = this.known[j * n + i] = all;
      }
    }
  }

  /** Net answers and the model's statistics between two sets of seeds (null stats where a vector is missing). */
  between(x: readonly number[], y: readonly number[]): { human: number; stats: GroupStats | null } {
    const { n } = this;
    let human = 0;
    let sum = 0;
    let max = -Infinity;
    let known = true;
    let sizeA = 0;
    let sizeB = 0;
    for (const i of x) sizeA += this.sizes[i];
    for (const j of y) sizeB += this.sizes[j];
    for (const i of x) {
      for (const j of y) {
        human += this.human[i * n + j];
        if (!this.known[i * n + j]) known = false;
        sum += this.simSum[i * n + j];
        if (this.simMax[i * n + j] > max) max = this.simMax[i * n + j];
      }
    }
    return { human, stats: known ? { maxSimilarity: max, meanSimilarity: sum / (sizeA * sizeB), sizeA, sizeB } : null };
  }
}

/**
 * Resolves one component: seeds (person-given names, else single annotations) merged best-first by
 * posterior log-odds while that is above the threshold. Ties go to the pair with the smallest ids, so the
 * result depends on nothing but the evidence. Group-level sums are kept and updated on each merge, and a
 * pair's log-odds is computed again only when one of its groups changed.
 */
export function resolveComponent(input: ComponentInput): ResolvedCluster[] {
  const threshold = input.threshold ?? MERGE_THRESHOLD;
  const { seeds, seedIds } = seedGroups(input.members, input.seedOf);
  const matrix = new SeedMatrix(seeds, input.evidence, input.model);
  const n = seeds.length;
  // Group state: row g holds group g's sums with every other group (groups start as seeds; a merged
  // group takes the smaller index and the other is retired).
  const human = Float64Array.from(matrix.human);
  const simSum = Float64Array.from(matrix.simSum);
  const simMax = Float64Array.from(matrix.simMax);
  const known = Uint8Array.from(matrix.known);
  const size = [...matrix.sizes];
  const named = seedIds.map((id) => id !== null);
  const firstId = seeds.map((members) => members[0]);
  const members: number[][] = seeds.map((_, i) => [i]);
  const active = new Uint8Array(n).fill(1);
  const logOdds = new Float64Array(n * n).fill(-Infinity);

  const score = (g: number, h: number): number => {
    const net = human[g * n + h];
    if (net <= TIE) return -Infinity;
    // Two person-given names are two animals unless answers join them; the model does not weigh against a
    // person's explicit merge.
    if (named[g] && named[h]) return net;
    if (!known[g * n + h]) return net;
    const stats: GroupStats = {
      maxSimilarity: simMax[g * n + h],
      meanSimilarity: simSum[g * n + h] / (size[g] * size[h]),
      sizeA: size[g],
      sizeB: size[h],
    };
    return net + input.model.logOdds(stats);
  };
  for (let g = 0; g < n; g++) for (let h = g + 1; h < n; h++) logOdds[g * n + h] = score(g, h);

  for (;;) {
    let best = -1;
    let bestValue = threshold;
    let bestOrder = Infinity;
    for (let g = 0; g < n; g++) {
      if (!active[g]) continue;
      for (let h = g + 1; h < n; h++) {
        if (!active[h]) continue;
        const value = logOdds[g * n + h];
        if (value <= threshold) continue;
        const order = Math.min(firstId[g], firstId[h]);
        if (value > bestValue + 1e-12 || (Math.abs(value - bestValue) <= 1e-12 && order < bestOrder)) {
          best = g * n + h;
          bestValue = value;
          bestOrder = order;
        }
      }
    }
    if (best < 0) break;
    const g = Math.floor(best / n);
    const h = best % n;
    active[h] = 0;
    members[g].push(...members[h]);
    size[g] += size[h];
    named[g] = named[g] || named[h];
    firstId[g] = Math.min(firstId[g], firstId[h]);
    for (let x = 0; x < n; x++) {
      if (!active[x] || x === g) continue;
      human[g * n + x] = human[x * n + g] = human[g * n + x] + human[h * n + x];
      simSum[g * n + x] = simSum[x * n + g] = simSum[g * n + x] + simSum[h * n + x];
      simMax[g * n + x] = simMax[x * n + g] = Math.max(simMax[g * n + x], simMax[h * n + x]);
      known[g * n + x] = known[x * n + g] = known[g * n + x] & known[h * n + x];
    }
    for (let x = 0; x < n; x++) {
      if (!active[x] || x === g) continue;
      const [lo, hi] = x < g ? [x, g] : [g, x];
      logOdds[lo * n + hi] = score(lo, hi);
    }
  }

  const clusters: ResolvedCluster[] = [];
  for (let g = 0; g < n; g++) {
    if (!active[g]) continue;
    const group = members[g];
    clusters.push({
      members: group.flatMap((i) => seeds[i]).sort((x, y) => x - y),
      seeds: group.map((i) => seedIds[i]).filter((id): id is number => id !== null),
      cuts: clusterCuts(group, seeds, seedIds, matrix, input.model),
    });
  }
  return clusters.sort((x, y) => x.members[0] - y.members[0]);
}

/**
 * The cuts of a cluster, weakest first: each seed against the rest and the two sides of each link of the
 * strongest tree of net "same" answers between its seeds (the links a chain of merges hangs on).
 */
function clusterCuts(
  group: readonly number[],
  seeds: readonly number[][],
  seedIds: readonly (number | null)[],
  matrix: SeedMatrix,
  model: ResolveModel,
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
    candidates.push(side);
  };
  for (const i of group) add([i]);
  for (const side of treeCuts(group, matrix)) add(side);
  // Two groups of photos joined by two or three slips are held by a cut that is neither one seed nor one
  // link of the tree: the cuts of the phases of a minimum-cut search over the "same" answers find it,
  // and each is weighed below with every answer across it, "different" included.
  for (const side of phaseCuts(group, matrix)) add(side);
  const namedSide = (side: readonly number[]) => side.some((i) => seedIds[i] !== null);

  return candidates
    .map((side) => {
      const rest = group.filter((i) => !side.includes(i));
      const between = matrix.between(side, rest);
      const stats = namedSide(side) && namedSide(rest) ? null : between.stats;
      const modelLogOdds = stats === null ? 0 : model.logOdds(stats);
      return {
        side: side.flatMap((i) => seeds[i]).sort((x, y) => x - y),
        rest: rest.flatMap((i) => seeds[i]).sort((x, y) => x - y),
        human: between.human,
        model: modelLogOdds,
        logOdds: between.human + modelLogOdds,
        stats,
      };
    })
    .sort((x, y) => x.logOdds - y.logOdds || x.side[0] - y.side[0]);
}

/**
 * The cuts of the phases of Stoer–Wagner's minimum-cut search over the positive net answers between
 * seeds (the smallest of them is the minimum cut; the others are the tightest cuts around the groups it
 * merged along the way): one side's seeds each. O(n³); groups are small.
 */
function phaseCuts(group: readonly number[], matrix: SeedMatrix): number[][] {
  const k = group.length;
  if (k < 3) return [];
  const { n, human } = matrix;
  const weight = Array.from({ length: k }, (_, i) => Float64Array.from(group, (seed, j) => (i === j ? 0 : Math.max(0, human[group[i] * n + seed]))));
  // Each super-vertex's seeds; vertices merge as the phases go on.
  const members: number[][] = group.map((seed) => [seed]);
  const alive = group.map(() => true);
  const cuts: number[][] = [];
  for (let phase = k; phase > 1; phase--) {
    const added = new Array<boolean>(k).fill(false);
    const connection = new Float64Array(k);
    let previous = -1;
    let last = -1;
    for (let step = 0; step < phase; step++) {
      let next = -1;
      for (let v = 0; v < k; v++) if (alive[v] && !added[v] && (next < 0 || connection[v] > connection[next])) next = v;
      added[next] = true;
      previous = last;
      last = next;
      for (let v = 0; v < k; v++) if (alive[v] && !added[v]) connection[v] += weight[next][v];
    }
    // The cut of the phase: the last vertex added against the rest.
    if (members[last].length > 1 && members[last].length < k - 1) cuts.push([...members[last]]);
    members[previous].push(...members[last]);
    alive[last] = false;
    for (let v = 0; v < k; v++) {
      weight[previous][v] += weight[last][v];
      weight[v][previous] = weight[previous][v];
    }
  }
  return cuts;
}

/** For each link of a maximum spanning tree of net-"same" weights between seeds, the seeds on one side. */
function treeCuts(group: readonly number[], matrix: SeedMatrix): number[][] {
  const { n, human } = matrix;
  // Prim's algorithm over the group's seeds.
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
  const neighbours = new Map<number, number[]>();
  for (const [x, y] of links) {
    neighbours.set(x, [...(neighbours.get(x) ?? []), y]);
    neighbours.set(y, [...(neighbours.get(y) ?? []), x]);
  }
  return links.map(([from, to]) => {
    // The seeds reachable from `to` without crossing back over the link.
    const side = new Set<number>([to]);
    const stack = [to];
    while (stack.length > 0) {
      const node = stack.pop()!;
      for (const next of neighbours.get(node) ?? []) {
        if ((node === to && next === from) || side.has(next)) continue;
        side.add(next);
        stack.push(next);
      }
    }
    return [...side];
  });
}
