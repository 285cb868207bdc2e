import type { CatalogStore } from '../catalog/store/catalog-store.ts';
import type { AnnotationFacts, LogDecision, LogRename, TeamLocalStore } from './local-log.ts';
import { replay, type ReplayEvent, type ReplayResult } from './replay.ts';

/**
 * Re-derives the catalog's individuals from its log (replay.ts) and writes what changed, each change
 * logged in team_effects. The log is replayed in the team's order: events the store has numbered by
 * their receipt number (the same order in every catalog, and immune to the reviewers' clocks), then this
 * catalog's own events the store has not got yet, in the order they were made here.
 */

/** How many members a rename names, so that a catalog lacking some photos still finds the individual. */
export const RENAME_MEMBERS = 20;

/**
 * This catalog's own events in the order they were made: decisions by log id (an undo always after what
 * it undoes), renames by id, the two merged by time. Pushes send them in this order, so the store
 * numbers them as the replay ordered them before.
 */
export function madeHereOrder<D extends { createdAt: string }, R extends { createdAt: string }>(
  decisions: readonly D[],
  renames: readonly R[],
): ({ kind: 'decision'; item: D } | { kind: 'rename'; item: R })[] {
  const out: ({ kind: 'decision'; item: D } | { kind: 'rename'; item: R })[] = [];
  let i = 0;
  let j = 0;
  while (i < decisions.length || j < renames.length) {
    if (j >= renames.length || (i < decisions.length && decisions[i].createdAt <= renames[j].createdAt)) out.push({ kind: 'decision', item: decisions[i++] });
    else out.push({ kind: 'rename', item: renames[j++] });
  }
  return out;
}

export interface DerivationFacts {
  annotations: AnnotationFacts[];
  byKey: Map<string, number>;
  /** The name a person gave each annotation, as the team settles it (the store's first, else this catalog's). */
  given: Map<number, string>;
  /** Names given to one annotation that lost to another (store receipt order), for the disputes. */
  nameConflicts: { annotation: number; names: string[] }[];
  decisions: LogDecision[];
  events: ReplayEvent[];
}

/** Reads what replaying needs: annotations, names people gave, decisions in force and renames, in order. */
export function derivationFacts(store: CatalogStore, local: TeamLocalStore): DerivationFacts {
  const annotations = local.annotations();
  const byKey = local.keyIndex(annotations);
  const current = new Map(annotations.map((a) => [a.id, a.individualId]));
  const originals = local.originalNames();

  // Names people gave: the store's first name event per annotation wins, in every catalog alike.
  const given = new Map<number, string>();
  const namesByAnnotation = new Map<number, string[]>();
  for (const { event } of local.receivedEvents('name')) {
    const id = byKey.get(event.annotation);
    if (id === undefined) continue;
    if (!given.has(id)) given.set(id, event.name);
    const names = namesByAnnotation.get(id) ?? [];
    if (!names.includes(event.name)) names.push(event.name);
    namesByAnnotation.set(id, names);
  }
  for (const [annotation, individual] of local.givenIndividuals(current)) {
    const name = originals.get(individual);
    if (name === undefined) continue;
    if (!given.has(annotation)) given.set(annotation, name);
    const names = namesByAnnotation.get(annotation) ?? [];
    if (!names.includes(name)) names.push(name);
    namesByAnnotation.set(annotation, names);
  }
  const nameConflicts = [...namesByAnnotation]
    .filter(([, names]) => names.length > 1)
    .map(([annotation, names]) => ({ annotation, names }));

  const decisions = local.decisionsInForce();
  const created = local.createdIndividuals();
  const ownRenames = local.renames(false);
  const ownRenameUids = new Set(ownRenames.map((rename) => rename.uid));
  const receivedRenames = local.receivedEvents('rename');
  const keysToIds = (keys: readonly string[]) => keys.map((key) => byKey.get(key)).filter((id): id is number => id !== undefined);
  const membersByIndividual = new Map<number, number[]>();
  for (const a of annotations) {
    if (a.individualId === null) continue;
    const members = membersByIndividual.get(a.individualId);
    if (members) members.push(a.id);
    else membersByIndividual.set(a.individualId, [a.id]);
  }
  const membersOf = (individualId: number) => [...(membersByIndividual.get(individualId) ?? [])].sort((x, y) => x - y);

  const decisionEvent = (decision: LogDecision): ReplayEvent => ({
    kind: 'decision',
    uid: decision.uid,
    a: decision.a,
    b: decision.b,
    verdict: decision.verdict as 'same' | 'different' | 'unsure',
    merge: decision.merge,
    createdIndividual: created.has(decision.id) ? (originals.get(created.get(decision.id)!) ?? null) : null,
  });
  // Received decisions carry the name their catalog generated; this catalog's own carry it in their effects.
  const receivedCreated = new Map(local.receivedEvents('decision').map(({ event }) => [event.uid, event.createdIndividual]));
  const renameMembers = new Map(receivedRenames.map(({ event }) => [event.uid, keysToIds(event.members)]));

  const numbered: { seq: number; event: ReplayEvent }[] = [];
  const unnumberedDecisions: LogDecision[] = [];
  for (const decision of decisions) {
    const event = decisionEvent(decision);
    if (event.kind === 'decision' && !created.has(decision.id)) event.createdIndividual = receivedCreated.get(decision.uid) ?? null;
    if (decision.seq === null) unnumberedDecisions.push(decision);
    else numbered.push({ seq: decision.seq, event });
  }
  const unnumberedRenames: LogRename[] = [];
  for (const rename of ownRenames) {
    const event: ReplayEvent = { kind: 'rename', uid: rename.uid, members: renameMembers.get(rename.uid) ?? membersOf(rename.individualId), name: rename.newName };
    if (rename.seq === null) unnumberedRenames.push(rename);
    else numbered.push({ seq: rename.seq, event });
  }
  for (const { seq, event } of receivedRenames) {
    if (ownRenameUids.has(event.uid)) continue;
    numbered.push({ seq, event: { kind: 'rename', uid: event.uid, members: keysToIds(event.members), name: event.name } });
  }
  numbered.sort((x, y) => x.seq - y.seq);
  const events = numbered.map((entry) => entry.event);
  for (const entry of madeHereOrder(unnumberedDecisions, unnumberedRenames)) {
    if (entry.kind === 'decision') events.push(decisionEvent(entry.item));
    else events.push({ kind: 'rename', uid: entry.item.uid, members: membersOf(entry.item.individualId), name: entry.item.newName });
  }
  return { annotations, byKey, given, nameConflicts, decisions, events };
}

export interface Derivation {
  facts: DerivationFacts;
  result: ReplayResult;
}

export function derive(store: CatalogStore, local: TeamLocalStore): Derivation {
  const facts = derivationFacts(store, local);
  const result = replay({ annotations: facts.annotations.map((a) => a.id), given: facts.given, events: facts.events });
  return { facts, result };
}

/**
 * Replays the log and writes the individuals it gives (in one transaction); answers how many annotations
 * changed individual.
 */
export function rederive(store: CatalogStore, local: TeamLocalStore): number {
  return store.transaction(() => {
    const { facts, result } = derive(store, local);
    const rows = local.individualNames();
    const idByName = new Map([...rows].map(([id, row]) => [row.name, id]));
    const rowFor = (name: string): number => {
      let id = idByName.get(name);
      if (id === undefined) {
        id = store.individuals.create(name, result.named.get(name) ?? true).id;
        idByName.set(name, id);
        rows.set(id, { name, named: result.named.get(name) ?? true });
      }
      return id;
    };
    const newest = local.newestDecisionId();
    const at = new Date().toISOString();
    let changed = 0;
    for (const annotation of facts.annotations) {
      const target = result.nameOf.get(annotation.id) ?? null;
      const currentName = annotation.individualId === null ? null : (rows.get(annotation.individualId)?.name ?? null);
      if (target === currentName) continue;
      const after = target === null ? null : rowFor(target);
      local.moveAnnotation(annotation.id, annotation.individualId, after, newest, at);
      changed++;
    }
    for (const [name, named] of result.named) {
      const id = idByName.get(name);
      if (id !== undefined && rows.get(id)!.named !== named) local.setNamed(id, named);
    }
    return changed;
  });
}
