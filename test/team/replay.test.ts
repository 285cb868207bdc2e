import { describe, expect, it } from 'vitest';
import { findDisputes } from '../../src/main/team/disputes.ts';
import { annotationKey, givenNameUid, uidFrom } from '../../src/main/team/keys.ts';
import type { LogDecision } from '../../src/main/team/local-log.ts';
import { replay, type ReplayEvent } from '../../src/main/team/replay.ts';
import { madeHereOrder } from '../../src/main/team/rederive.ts';

const same = (uid: string, a: number, b: number, extra: Partial<Extract<ReplayEvent, { kind: 'decision' }>> = {}): ReplayEvent => ({
  kind: 'decision',
  uid: `${uid}0000000-0000-4000-8000-000000000000`.slice(0, 36),
  a,
  b,
  verdict: 'same',
  merge: null,
  createdIndividual: null,
  ...extra,
});
const groups = (nameOf: Map<number, string>) => {
  const out = new Map<string, number[]>();
  for (const [annotation, name] of [...nameOf].sort((x, y) => x[0] - y[0])) out.set(name, [...(out.get(name) ?? []), annotation]);
  return Object.fromEntries(out);
};

describe('replaying the log', () => {
  it('gives the meaning decisions have today: join, new individual, merge only when confirmed', () => {
    const result = replay({
      annotations: [1, 2, 3, 4, 5, 6],
      given: new Map([
        [1, 'Alice'],
        [2, 'Alice'],
        [3, 'Bob'],
      ]),
      events: [
        same('a', 4, 1), // 4 joins Alice
        same('b', 5, 6, { createdIndividual: 'ind-0001' }), // a new individual, with the name its catalog gave it
        same('c', 5, 3), // Bob and ind-0001: not confirmed, nothing merges
        same('d', 6, 3, { merge: 'keep-b' }), // confirmed: ind-0001 joins Bob
      ],
    });
    expect(groups(result.nameOf)).toEqual({ Alice: [1, 2, 4], Bob: [3, 5, 6] });
    expect(result.named.get('Bob')).toBe(true);
    expect(result.unconfirmedMerges).toEqual([expect.objectContaining({ a: 5, b: 3, nameA: 'ind-0001', nameB: 'Bob' })]);
  });

  it('makes new names from the decision where the one its catalog gave is taken, the same everywhere', () => {
    const events = [same('a', 1, 2, { createdIndividual: 'ind-0001' }), same('b', 3, 4, { createdIndividual: 'ind-0001' })];
    const result = replay({ annotations: [1, 2, 3, 4], given: new Map(), events });
    expect(groups(result.nameOf)).toEqual({ 'ind-0001': [1, 2], 'ind-b0000000': [3, 4] });
    expect(replay({ annotations: [4, 3, 2, 1], given: new Map(), events }).nameOf).toEqual(result.nameOf);
  });

  it('applies renames to the individual holding their members, and refuses a name already held', () => {
    const result = replay({
      annotations: [1, 2, 3, 4],
      given: new Map([[3, 'Bob']]),
      events: [
        same('a', 1, 2),
        { kind: 'rename', uid: 'r1', members: [9, 2], name: 'Eve' }, // 9: a photo this catalog lacks
        { kind: 'rename', uid: 'r2', members: [3], name: 'Eve' },
        { kind: 'rename', uid: 'r3', members: [4], name: 'Zoe' }, // 4 has no individual: nothing to rename
      ],
    });
    expect(groups(result.nameOf)).toEqual({ Eve: [1, 2], Bob: [3] });
    expect(result.named.get('Eve')).toBe(true);
    expect(result.refusedRenames).toEqual([{ uid: 'r2', name: 'Eve', takenBy: 'Eve' }]);
  });

  it('orders a catalog’s own events by log id within their kind, merged by time', () => {
    const order = madeHereOrder(
      [
        { id: 1, createdAt: '2026-01-01T10:00:00.000Z' },
        { id: 2, createdAt: '2026-01-01T09:00:00.000Z' }, // a clock set back: still after decision 1
      ],
      [{ id: 1, createdAt: '2026-01-01T09:30:00.000Z' }],
    );
    expect(order.map((entry) => `${entry.kind}${entry.item.id}`)).toEqual(['rename1', 'decision1', 'decision2']);
  });
});

describe('keys', () => {
  it('name an annotation by photo and box, rounded to whole pixels', () => {
    expect(annotationKey('abc', null, 0)).toBe('abc');
    expect(annotationKey('abc', { x: 10.4, y: 0, w: 99.6, h: 50 }, 0)).toBe('abc@10,0,100,50');
    expect(annotationKey('abc', { x: 10, y: 0, w: 100, h: 50 }, 0.25)).toBe('abc@10,0,100,50r0.250');
    expect(uidFrom('x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(givenNameUid('k', 'Alice')).toBe(givenNameUid('k', 'Alice'));
    expect(givenNameUid('k', 'Alice')).not.toBe(givenNameUid('k', 'Alicia'));
  });
});

describe('disputes found in the log', () => {
  const decision = (id: number, a: number, b: number, verdict: LogDecision['verdict'], reviewer: string): LogDecision => ({
    id,
    uid: `00000000-0000-4000-8000-00000000000${id}`,
    a,
    b,
    verdict,
    merge: null,
    note: null,
    reviewer,
    createdAt: `2026-01-0${id}T00:00:00.000Z`,
    undoesUid: null,
    seq: id,
  });
  const base = { given: new Map<number, string>(), unconfirmedMerges: [], refusedRenames: [], nameConflicts: [], fileOf: (id: number) => `p${id}.jpg`, keyOf: (id: number) => `k${id}` };

  it('answers both ways on one pair, and A=B, B=C, A≠C with the chain that joined them', () => {
    const decisions = [decision(1, 1, 2, 'same', 'ana'), decision(2, 2, 3, 'same', 'ben'), decision(3, 1, 3, 'different', 'cid'), decision(4, 4, 5, 'same', 'ana'), decision(5, 5, 4, 'different', 'ben')];
    const nameOf = new Map([
      [1, 'X'],
      [2, 'X'],
      [3, 'X'],
      [4, 'Y'],
      [5, 'Y'],
    ]);
    const disputes = findDisputes({ ...base, decisions, nameOf });
    expect(disputes.map((d) => [d.kind, d.answers.map((a) => `${a.reviewer}:${a.verdict}:${a.a}-${a.b}`)])).toEqual([
      ['pair', ['ana:same:4-5', 'ben:different:5-4']],
      ['contradiction', ['ana:same:1-2', 'ben:same:2-3', 'cid:different:1-3']],
    ]);
    expect(disputes[1].summary).toBe(`cid: different on p1.jpg – p3.jpg, which ana's "same" and ben's "same" put in one individual ("X")`);
    expect(disputes[1].pairs).toEqual([
      { a: 1, b: 3 },
      { a: 1, b: 2 },
      { a: 2, b: 3 },
    ]);
    // Settled (the lead took the "different" back): nothing open.
    expect(findDisputes({ ...base, decisions: decisions.filter((d) => d.id !== 3 && d.id !== 5), nameOf })).toEqual([]);
  });

  it('a "different" between two photos a person gave one name, and merges nobody confirmed', () => {
    const decisions = [decision(1, 1, 2, 'different', 'ana'), decision(2, 3, 4, 'same', 'ben')];
    const disputes = findDisputes({
      ...base,
      decisions,
      given: new Map([
        [1, 'X'],
        [2, 'X'],
        [3, 'X'],
        [4, 'Y'],
      ]),
      nameOf: new Map([
        [1, 'X'],
        [2, 'X'],
        [3, 'X'],
        [4, 'Y'],
      ]),
      unconfirmedMerges: [{ uid: decisions[1].uid, a: 3, b: 4, nameA: 'X', nameB: 'Y' }],
    });
    expect(disputes.map((d) => [d.kind, d.names])).toEqual([
      ['contradiction', ['X']],
      ['merge', ['X', 'Y']],
    ]);
  });
});
