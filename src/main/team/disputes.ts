import type { Dispute, DisputeAnswer } from '../../shared/api.ts';
import { uidFrom } from './keys.ts';
import type { LogDecision } from './local-log.ts';
import type { RefusedRename, UnconfirmedMerge } from './replay.ts';

/**
 * Disagreements still open in a catalog's log, found in the log itself (issue 16's evidence model will
 * weigh and re-ask them; until it lands this is the raw detection): answers both ways on one pair;
 * answers that together contradict (a "different" between two photos that a chain of "same" answers, or
 * a name a person gave, puts in one individual); a "same" that would merge two individuals without the
 * merge being confirmed; two names given to one photo; a rename to a name another individual holds.
 * Pure, and ordered by ids made from uids, so that catalogs with the same log list the same disputes.
 */

export interface DisputeInput {
  decisions: readonly LogDecision[];
  /** Each annotation's individual after replaying the log (absent: on its own). */
  nameOf: ReadonlyMap<number, string>;
  /** Names people gave (imports), by annotation. */
  given: ReadonlyMap<number, string>;
  unconfirmedMerges: readonly UnconfirmedMerge[];
  refusedRenames: readonly RefusedRename[];
  nameConflicts: readonly { annotation: number; names: string[] }[];
  fileOf: (annotation: number) => string;
  /** The annotation's key (photo hash and box): the same in every catalog, unlike its id. */
  keyOf: (annotation: number) => string;
}

const pairKey = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`);

const KIND_ORDER: Record<Dispute['kind'], number> = { pair: 0, contradiction: 1, merge: 2, name: 3, rename: 4 };

export function findDisputes(input: DisputeInput): Dispute[] {
  const answer = (decision: LogDecision): DisputeAnswer => ({
    decisionId: decision.id,
    uid: decision.uid,
    a: decision.a,
    b: decision.b,
    verdict: decision.verdict as DisputeAnswer['verdict'],
    reviewer: decision.reviewer,
    createdAt: decision.createdAt,
    fileA: input.fileOf(decision.a),
    fileB: input.fileOf(decision.b),
  });
  const said = (d: LogDecision) => `${d.reviewer ?? 'someone'}: ${d.verdict}`;
  const disputes: Dispute[] = [];
  const make = (kind: Dispute['kind'], seed: string[], rest: Omit<Dispute, 'id' | 'kind'>): Dispute => ({
    id: `${kind}-${uidFrom(`${kind}\u0000${[...seed].sort().join('\u0000')}`).slice(0, 8)}`,
    kind,
    ...rest,
  });

  // 1. Answers both ways on one pair.
  const byPair = new Map<string, LogDecision[]>();
  for (const decision of input.decisions) {
    const key = pairKey(decision.a, decision.b);
    const list = byPair.get(key);
    if (list) list.push(decision);
    else byPair.set(key, [decision]);
  }
  const disputedPairs = new Set<string>();
  for (const [key, answers] of byPair) {
    if (!answers.some((d) => d.verdict === 'same') || !answers.some((d) => d.verdict === 'different')) continue;
    disputedPairs.add(key);
    const { a, b } = answers[0];
    disputes.push(
      make('pair', answers.map((d) => d.uid), {
        summary: `${answers.map(said).join(', ')} on ${input.fileOf(a)} – ${input.fileOf(b)}`,
        pairs: [{ a, b }],
        answers: answers.map(answer),
        names: [],
      }),
    );
  }

  // 2. A "different" inside one individual: the chain of "same" answers (or the given name) that joined them.
  const sameEdges = new Map<number, { to: number; decision: LogDecision | null }[]>();
  const link = (x: number, y: number, decision: LogDecision | null) => {
    for (const [from, to] of [[x, y], [y, x]]) {
      const list = sameEdges.get(from);
      if (list) list.push({ to, decision });
      else sameEdges.set(from, [{ to, decision }]);
    }
  };
  for (const decision of input.decisions) if (decision.verdict === 'same') link(decision.a, decision.b, decision);
  const firstWithName = new Map<string, number>();
  for (const [annotation, name] of input.given) {
    const first = firstWithName.get(name);
    if (first === undefined) firstWithName.set(name, annotation);
    else link(first, annotation, null);
  }
  const chain = (from: number, to: number): (LogDecision | null)[] | null => {
    const previous = new Map<number, { node: number; decision: LogDecision | null }>([[from, { node: from, decision: null }]]);
    const queue = [from];
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head];
      if (node === to) break;
      for (const edge of sameEdges.get(node) ?? []) {
        if (previous.has(edge.to)) continue;
        previous.set(edge.to, { node, decision: edge.decision });
        queue.push(edge.to);
      }
    }
    if (!previous.has(to)) return null;
    const path: (LogDecision | null)[] = [];
    for (let node = to; node !== from; node = previous.get(node)!.node) path.push(previous.get(node)!.decision);
    return path.reverse();
  };
  for (const decision of input.decisions) {
    if (decision.verdict !== 'different' || disputedPairs.has(pairKey(decision.a, decision.b))) continue;
    const individual = input.nameOf.get(decision.a);
    if (individual === undefined || individual !== input.nameOf.get(decision.b)) continue;
    const path = chain(decision.a, decision.b) ?? [];
    const joining = path.filter((d): d is LogDecision => d !== null);
    const byName = path.includes(null);
    disputes.push(
      make('contradiction', [decision.uid, ...joining.map((d) => d.uid)], {
        summary:
          `${said(decision)} on ${input.fileOf(decision.a)} – ${input.fileOf(decision.b)}, which ` +
          (joining.length > 0 ? `${joining.map((d) => `${d.reviewer ?? 'someone'}'s "same"`).join(' and ')}${byName ? ' and a given name' : ''} put in one individual` : `a given name puts in one individual`) +
          ` ("${individual}")`,
        pairs: [{ a: decision.a, b: decision.b }, ...joining.map((d) => ({ a: d.a, b: d.b }))],
        answers: [...joining, decision].map(answer),
        names: byName ? [individual] : [],
      }),
    );
  }

  // 3. "same" between two individuals that nobody confirmed as one.
  const decisionByUid = new Map(input.decisions.map((d) => [d.uid, d]));
  for (const merge of input.unconfirmedMerges) {
    if (disputedPairs.has(pairKey(merge.a, merge.b))) continue;
    const nameA = input.nameOf.get(merge.a);
    if (nameA !== undefined && nameA === input.nameOf.get(merge.b)) continue; // joined since
    const decision = decisionByUid.get(merge.uid);
    if (!decision) continue;
    disputes.push(
      make('merge', [merge.uid], {
        summary: `${said(decision)} on ${input.fileOf(merge.a)} – ${input.fileOf(merge.b)}, but "${merge.nameA}" and "${merge.nameB}" were not confirmed as one animal`,
        pairs: [{ a: merge.a, b: merge.b }],
        answers: [answer(decision)],
        names: [merge.nameA, merge.nameB],
      }),
    );
  }

  // 4. Two names given to one photo; 5. a rename to a name already held.
  for (const conflict of input.nameConflicts) {
    disputes.push(
      make('name', [input.keyOf(conflict.annotation), ...conflict.names], {
        summary: `${input.fileOf(conflict.annotation)} was given the names ${conflict.names.map((n) => `"${n}"`).join(' and ')}; the first one counts`,
        pairs: [],
        answers: [],
        names: conflict.names,
      }),
    );
  }
  for (const rename of input.refusedRenames) {
    disputes.push(
      make('rename', [rename.uid], {
        summary: `a rename to "${rename.name}" was not applied: "${rename.takenBy}" holds that name`,
        pairs: [],
        answers: [],
        names: [rename.name, rename.takenBy],
      }),
    );
  }
  return disputes.sort((x, y) => KIND_ORDER[x.kind] - KIND_ORDER[y.kind] || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}
