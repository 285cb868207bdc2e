import { describe, expect, it } from 'vitest';
import { HumanEvidence, type Answer } from '../../src/main/ranking/evidence.ts';
import { components, resolveComponent, type GroupStats, type ResolveModel } from '../../src/main/ranking/resolve.ts';
import { seededRandom } from '../fixtures/synthetic-catalog.ts';

const W = Math.log(19);
let nextId = 1;
const answer = (a: number, b: number, verdict: Answer['verdict'], weight = W, reviewer = 'ana'): Answer => ({
  decisionId: nextId++,
  a,
  b,
  verdict,
  reviewer,
  weight,
});

/** A model that gives every pair the same log-odds, or one from a table of pairs (max over cross pairs). */
function model(pairs: Record<string, number> = {}, otherwise = 0): ResolveModel {
  const similarity = (a: number, b: number) => pairs[`${Math.min(a, b)}-${Math.max(a, b)}`] ?? otherwise;
  return { similarity, logOdds: (stats: GroupStats) => stats.maxSimilarity };
}

/** The partition of `members` as sorted lists, for comparing. */
function resolve(members: number[], answers: Answer[], resolveModel = model(), seeds: Record<number, number> = {}) {
  const evidence = new HumanEvidence(answers);
  const seedOf = (id: number) => seeds[id] ?? null;
  return components(members, seedOf, evidence)
    .flatMap((component) => (component.length === 1 ? [{ members: component, seeds: [], cuts: [] }] : resolveComponent({ members: component, seedOf, evidence, model: resolveModel })))
    .map((cluster) => cluster.members)
    .sort((x, y) => x[0] - y[0]);
}

describe('the resolver: who is who from answers and the model', () => {
  it('joins on a "same" where the model does not object, and only where answers say so', () => {
    expect(resolve([1, 2, 3], [answer(1, 2, 'same')])).toEqual([[1, 2], [3]]);
    // The model alone never joins: 2 and 3 are alike to it but nobody said so.
    expect(resolve([1, 2, 3], [answer(1, 2, 'same')], model({ '2-3': 4 }))).toEqual([[1, 2], [3]]);
  });

  it('settles a contradiction by weight: A=B, B=C by a reliable reviewer, A≠C by a less reliable one', () => {
    const answers = [answer(1, 2, 'same', 3), answer(2, 3, 'same', 3), answer(1, 3, 'different', 2)];
    expect(resolve([1, 2, 3], answers)).toEqual([[1, 2, 3]]);
    // The "different" weighs more than one of the joins: the photo it concerns goes apart.
    const heavier = [answer(1, 2, 'same', 3), answer(2, 3, 'same', 3), answer(1, 3, 'different', 4)];
    expect(resolve([1, 2, 3], heavier)).toHaveLength(2);
  });

  it('breaks a tie of equal answers by the model, whatever order they came in', () => {
    // A=B, B=C, A≠C with equal weights: the model finds B and C alike, A and B less so.
    const answers = [answer(1, 2, 'same'), answer(2, 3, 'same'), answer(1, 3, 'different')];
    const alike = model({ '2-3': 1, '1-2': 0.2, '1-3': -1 });
    expect(resolve([1, 2, 3], answers, alike)).toEqual([[1], [2, 3]]);
    expect(resolve([1, 2, 3], [...answers].reverse(), alike)).toEqual([[1], [2, 3]]);
    const random = seededRandom(3);
    for (let trial = 0; trial < 5; trial++) {
      const shuffled = [...answers].sort(() => random() - 0.5);
      expect(resolve([3, 1, 2], shuffled, alike)).toEqual([[1], [2, 3]]);
    }
  });

  it('does not join on one "same" that the model finds very unlikely; a second look does', () => {
    const unlike = model({}, -4);
    expect(resolve([1, 2], [answer(1, 2, 'same')], unlike)).toEqual([[1], [2]]);
    expect(resolve([1, 2], [answer(1, 2, 'same'), answer(1, 2, 'same')], unlike)).toEqual([[1, 2]]);
  });

  it('splits a wrong join when later answers outweigh it, and keeps it when they do not', () => {
    const join = answer(1, 2, 'same');
    expect(resolve([1, 2], [join, answer(1, 2, 'different')])).toEqual([[1], [2]]); // a tie: apart
    expect(resolve([1, 2], [join, answer(1, 2, 'different', 1)])).toEqual([[1, 2]]);
    // A chain 1=2=3=4 where 2–3 was the slip: two "different" across it split the chain there.
    const chain = [answer(1, 2, 'same'), answer(2, 3, 'same'), answer(3, 4, 'same'), answer(1, 3, 'different'), answer(2, 4, 'different')];
    expect(resolve([1, 2, 3, 4], chain)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('keeps photos a person gave one name together, and joins two names only on an answer, whatever the model says', () => {
    const seeds = { 1: 10, 2: 10, 3: 20, 4: 20 };
    // "different" inside a named individual does not take it apart.
    expect(resolve([1, 2, 3, 4], [answer(1, 2, 'different'), answer(1, 2, 'different')], model(), seeds)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    // A "same" between two named individuals joins them even where the model finds them unlike.
    expect(resolve([1, 2, 3, 4], [answer(2, 3, 'same')], model({}, -5), seeds)).toEqual([[1, 2, 3, 4]]);
  });

  it('measures the cuts a join hangs on: a chain of single answers is weak at every link, a cycle confirms it', () => {
    const evidence = new HumanEvidence([answer(1, 2, 'same'), answer(2, 3, 'same'), answer(3, 4, 'same')]);
    const [chain] = resolveComponent({ members: [1, 2, 3, 4], seedOf: () => null, evidence, model: model() });
    expect(chain.members).toEqual([1, 2, 3, 4]);
    expect(chain.cuts[0].logOdds).toBeCloseTo(W, 9);
    // Closing the cycle (1=4) puts two answers across every link of the chain.
    const closed = new HumanEvidence([...evidence.answers, answer(1, 4, 'same')]);
    const [cycle] = resolveComponent({ members: [1, 2, 3, 4], seedOf: () => null, evidence: closed, model: model() });
    expect(cycle.cuts[0].logOdds).toBeCloseTo(2 * W, 9);
    expect(cycle.cuts.every((cut) => cut.stats !== null)).toBe(true);
  });

  it('finds the cut that two slips between two well-joined groups hang on', () => {
    // 1–4 one animal, 5–8 another, each photo compared with every other of its animal; two slips join 1=5 and 3=7.
    const within = (x: number[]) => x.flatMap((a, i) => x.slice(i + 1).map((b) => answer(a, b, 'same')));
    const answers = [...within([1, 2, 3, 4]), ...within([5, 6, 7, 8]), answer(1, 5, 'same'), answer(3, 7, 'same')];
    const [cluster] = resolveComponent({ members: [1, 2, 3, 4, 5, 6, 7, 8], seedOf: () => null, evidence: new HumanEvidence(answers), model: model() });
    expect(cluster.members).toHaveLength(8);
    const weakest = cluster.cuts[0];
    expect([weakest.side, weakest.rest].map((side) => [...side].sort((x, y) => x - y))).toContainEqual([1, 2, 3, 4]);
    expect(weakest.human).toBeCloseTo(2 * W, 9);
  });

  it('ends at the true partition for a truthful reviewer who answered a spanning set of pairs', () => {
    const random = seededRandom(11);
    for (let trial = 0; trial < 20; trial++) {
      const animals = 2 + Math.floor(random() * 5);
      const members = Array.from({ length: 4 + Math.floor(random() * 12) }, (_, i) => i + 1);
      const truth = new Map(members.map((id) => [id, Math.floor(random() * animals)]));
      const answers: Answer[] = [];
      for (let k = 0; k < members.length * 3; k++) {
        const a = members[Math.floor(random() * members.length)];
        const b = members[Math.floor(random() * members.length)];
        if (a !== b) answers.push(answer(a, b, truth.get(a) === truth.get(b) ? 'same' : 'different'));
      }
      // What the answers can tell: photos joined by "same" answers, never two animals together.
      const resolved = resolve(members, answers);
      for (const cluster of resolved) expect(new Set(cluster.map((id) => truth.get(id))).size).toBe(1);
      const joined = components(members, () => null, new HumanEvidence(answers.filter((x) => x.verdict === 'same')));
      expect(resolved).toEqual(joined.sort((x, y) => x[0] - y[0]));
    }
  });
});
