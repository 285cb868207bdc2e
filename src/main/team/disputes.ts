import type { Decision, Dispute, DisputeAnswer, EvidenceDispute } from '../../shared/api.ts';
import { uidFrom } from './keys.ts';
import type { NameConflict, RefusedRename } from './names.ts';

/**
 * The team's open disputes: the disagreements the evidence has not settled (found by the review queue,
 * `Workbench.disputes`: answers both ways on one pair, answers that together contradict), and what only a
 * team has: two names given to one photo, a rename refused because another individual holds the name.
 * Each has an id made from what every catalog with the same log shares (the answers' uids, the photos'
 * keys, the renames' uids), and the list is ordered by it, so that such catalogs list the same disputes.
 */

export interface DisputeInput {
  /** The evidence's open disagreements; null where nothing is embedded (the review queue needs a model). */
  evidence: readonly EvidenceDispute[] | null;
  nameConflicts: readonly NameConflict[];
  refusedRenames: readonly RefusedRename[];
  fileOf: (annotation: number) => string;
  /** The annotation's key (photo hash and box): the same in every catalog, unlike its id. */
  keyOf: (annotation: number) => string;
}

const KIND_ORDER: Record<Dispute['kind'], number> = { pair: 0, contradiction: 1, name: 2, rename: 3 };
const pairKey = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`);
const percent = (p: number): string => (p < 0.01 ? '<1 %' : p > 0.99 ? '>99 %' : `${Math.round(100 * p)} %`);

export function findDisputes(input: DisputeInput): Dispute[] {
  const answer = (decision: Decision): DisputeAnswer => ({
    decisionId: decision.id,
    uid: decision.uid,
    a: decision.a,
    b: decision.b,
    verdict: decision.verdict as DisputeAnswer['verdict'], // answers in force: never an undo entry
    reviewer: decision.reviewer,
    createdAt: decision.createdAt,
    fileA: input.fileOf(decision.a),
    fileB: input.fileOf(decision.b),
  });
  const make = (kind: Dispute['kind'], seed: string[], rest: Omit<Dispute, 'id' | 'kind'>): Dispute => ({
    id: `${kind}-${uidFrom(`${kind}\u0000${[...seed].sort().join('\u0000')}`).slice(0, 8)}`,
    kind,
    ...rest,
  });
  const disputes = new Map<string, Dispute>();

  for (const { question, answers } of input.evidence ?? []) {
    const ordered = [...answers].sort((x, y) => (x.createdAt < y.createdAt ? -1 : x.createdAt > y.createdAt ? 1 : x.uid < y.uid ? -1 : 1));
    const onePair = new Set(ordered.map((d) => pairKey(d.a, d.b))).size === 1;
    const said = (d: Decision) => `${d.reviewer ?? 'someone'}: ${d.verdict}`;
    const files = (a: number, b: number) => `${input.fileOf(a)} – ${input.fileOf(b)}`;
    const what = onePair
      ? `${ordered.map(said).join(', ')} on ${files(ordered[0].a, ordered[0].b)}`
      : ordered.map((d) => `${said(d)} on ${files(d.a, d.b)}`).join(', ');
    // The pair the queue asks to settle it first, then the pairs answered.
    const pairs = [{ a: question.a, b: question.b }];
    for (const d of ordered) if (!pairs.some((p) => pairKey(p.a, p.b) === pairKey(d.a, d.b))) pairs.push({ a: d.a, b: d.b });
    const dispute = make(
      onePair ? 'pair' : 'contradiction',
      ordered.map((d) => d.uid),
      { summary: `${what}; the evidence: ${percent(question.probability)} one animal`, pairs, answers: ordered.map(answer), names: [] },
    );
    if (!disputes.has(dispute.id)) disputes.set(dispute.id, dispute);
  }

  for (const conflict of input.nameConflicts) {
    const dispute = make('name', [input.keyOf(conflict.annotation), ...conflict.names], {
      summary: `${input.fileOf(conflict.annotation)} was given the names ${conflict.names.map((n) => `"${n}"`).join(' and ')}; the first one counts`,
      pairs: [],
      answers: [],
      names: conflict.names,
    });
    disputes.set(dispute.id, dispute);
  }
  for (const rename of input.refusedRenames) {
    const dispute = make('rename', [rename.uid], {
      summary: `${rename.reviewer ?? 'someone'}'s rename of ${rename.from === null ? 'an individual' : `"${rename.from}"`} to "${rename.name}" was not applied: another individual holds that name`,
      pairs: [],
      answers: [],
      names: rename.from === null ? [rename.name] : [rename.from, rename.name],
    });
    disputes.set(dispute.id, dispute);
  }
  return [...disputes.values()].sort((x, y) => KIND_ORDER[x.kind] - KIND_ORDER[y.kind] || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}
