import type { CatalogStore } from '../catalog/store/catalog-store.ts';
import type { Effect } from '../catalog/store/decisions.ts';
import { createGeneratedIndividual } from '../catalog/decisions.ts';
import { givenNameUid } from './keys.ts';
import type { TeamLocalStore } from './local-log.ts';

/**
 * What the team shares besides decisions, and the evidence model does not derive: the names people gave
 * (an import's file: this photo is "Alice") and renames. Names given are the resolver's seeds, so they are
 * settled before who is who is derived; renames name the groups the derivation made, so they are applied
 * after it. Both are functions of the store's log in receipt order, the same in every catalog; generated
 * names (ind-0001…) are each catalog's own.
 */

/** Two names given to one photo: the first the store received counts everywhere. */
export interface NameConflict {
  annotation: number;
  /** In the order the store received them (a name given here and not pushed yet last). */
  names: string[];
}

/** A rename not applied because another individual holds the name. */
export interface RefusedRename {
  uid: string;
  reviewer: string | null;
  /** The person's name of the individual it would have renamed (null: none, a generated one), and the name. */
  from: string | null;
  name: string;
}

/** The name the team settled on for each annotation a name event names (the store's first per annotation), and the conflicts. */
export function teamGivenNames(local: TeamLocalStore, byKey: ReadonlyMap<string, number>): { settled: Map<number, string>; conflicts: NameConflict[] } {
  const names = new Map<number, string[]>();
  for (const { event } of local.receivedEvents('name')) {
    const id = byKey.get(event.annotation);
    if (id === undefined) continue;
    const list = names.get(id);
    if (!list) names.set(id, [event.name]);
    else if (!list.includes(event.name)) list.push(event.name);
  }
  const settled = new Map([...names].map(([id, list]) => [id, list[0]]));
  for (const [id, name] of local.givenNames()) {
    const list = names.get(id);
    if (list && !list.includes(name)) list.push(name);
  }
  const conflicts = [...names].filter(([, list]) => list.length > 1).map(([annotation, list]) => ({ annotation, names: list }));
  return { settled, conflicts };
}

/**
 * Gives each annotation the name the team settled on: where it has none here, and where this catalog's
 * own name for it lost to an earlier one (once the store has this catalog's, so that it travels and is
 * listed as a dispute). Answers how many annotations got another name; deriving moves them.
 */
export function applyGivenNames(store: CatalogStore, local: TeamLocalStore): number {
  const annotations = local.annotations();
  const byKey = local.keyIndex(annotations);
  const keyOf = new Map(annotations.map((a) => [a.id, a.key]));
  const { settled } = teamGivenNames(local, byKey);
  if (settled.size === 0) return 0;
  const here = local.givenNames();
  const known = local.knownUids();
  // A person's name is the individual some import here gave it (renamed since or not), else the one
  // holding the name now, else a new one.
  const originals = local.originalNames();
  const givenByName = new Map<string, number>();
  for (const individual of new Set(store.annotations.givenIndividuals().values())) givenByName.set(originals.get(individual)!, individual);
  let changed = 0;
  for (const [annotation, name] of settled) {
    const own = here.get(annotation);
    if (own === name) continue;
    if (own !== undefined && !known.has(givenNameUid(keyOf.get(annotation)!, own))) continue;
    const individual = givenByName.get(name) ?? store.individuals.findOrCreate(name).id;
    givenByName.set(name, individual);
    local.giveName(annotation, individual);
    changed++;
  }
  return changed;
}

/** A rename as the plan reads it: the annotations (ids here) of the group it names, in the event's order. */
export interface RenameInput {
  /** The event's uid. */
  uid: string;
  reviewer: string | null;
  members: number[];
  name: string;
}

/** A group of the derived partition: the individual holding it here, and its members. */
export interface NamingGroup {
  individual: number;
  members: number[];
  /** The name a person's import gave it (a person-given individual's first name), if any. */
  given: string | null;
}

/** The person's name a group ends with, and the rename that gave it (null: an import's). */
export type WantedName = { name: string; uid: string | null; reviewer: string | null } | null;

/**
 * The renames in the team's order, replayed on the derived partition from the names imports gave: each
 * names the group holding most of its members (the first listed deciding between equals), unless another
 * group holds that name by then, in which case it is refused (a dispute). Pure, and a function of the
 * partition and the log only: the same in every catalog whatever it had called its groups before. A group
 * neither an import nor a rename named wants no person's name (a generated one, each catalog's own).
 */
export function planNames(renames: readonly RenameInput[], groups: readonly NamingGroup[]): { wanted: Map<number, WantedName>; refused: RefusedRename[] } {
  const groupOf = new Map<number, number>();
  const wanted = new Map<number, WantedName>();
  const holder = new Map<string, number>();
  for (const group of groups) {
    for (const member of group.members) groupOf.set(member, group.individual);
    wanted.set(group.individual, group.given === null ? null : { name: group.given, uid: null, reviewer: null });
    if (group.given !== null) holder.set(group.given, group.individual);
  }
  const refused: RefusedRename[] = [];
  for (const rename of renames) {
    const counts = new Map<number, number>();
    for (const member of rename.members) {
      const group = groupOf.get(member);
      if (group !== undefined) counts.set(group, (counts.get(group) ?? 0) + 1);
    }
    // Map order is first-seen order: between equals the first listed member's group wins.
    let target: number | null = null;
    for (const [group, count] of counts) if (target === null || count > counts.get(target)!) target = group;
    if (target === null) continue; // the group has dissolved: nothing carries the name now
    const now = wanted.get(target)!;
    if (now?.name === rename.name) continue;
    const held = holder.get(rename.name);
    if (held !== undefined && held !== target) {
      refused.push({ uid: rename.uid, reviewer: rename.reviewer, from: now?.name ?? null, name: rename.name });
      continue;
    }
    if (now) holder.delete(now.name);
    holder.set(rename.name, target);
    wanted.set(target, { name: rename.name, uid: rename.uid, reviewer: rename.reviewer });
  }
  return { wanted, refused };
}

/** The renames of the team's log in receipt order, then this catalog's own not pushed yet, as annotation ids here. */
export function renameInputs(local: TeamLocalStore, byKey: ReadonlyMap<string, number>, groups: readonly NamingGroup[]): RenameInput[] {
  const received = local.receivedEvents('rename').map(({ event }) => ({
    uid: event.uid,
    reviewer: event.reviewer,
    name: event.name,
    members: event.members.map((key) => byKey.get(key)).filter((id): id is number => id !== undefined),
  }));
  const members = new Map(groups.map((group) => [group.individual, group.members]));
  const own = local.unpushedRenames().map((rename) => ({ uid: rename.uid, reviewer: rename.reviewer, name: rename.newName, members: members.get(rename.individualId) ?? [] }));
  return [...received, ...own];
}

/** The derived partition as the naming reads it. */
export function namingGroups(store: CatalogStore, local: TeamLocalStore): NamingGroup[] {
  const byIndividual = new Map<number, number[]>();
  for (const fact of store.annotations.allFacts().values()) {
    if (fact.individualId === null) continue;
    const list = byIndividual.get(fact.individualId);
    if (list) list.push(fact.id);
    else byIndividual.set(fact.individualId, [fact.id]);
  }
  const seeds = new Set(store.annotations.givenIndividuals().values());
  const originals = local.originalNames();
  return [...byIndividual].map(([individual, members]) => ({ individual, members, given: seeds.has(individual) ? originals.get(individual)! : null }));
}

/** What the team's naming plan says here: the names each group wants, and the renames refused. */
export function teamNames(store: CatalogStore, local: TeamLocalStore): { groups: NamingGroup[]; wanted: Map<number, WantedName>; refused: RefusedRename[] } {
  const groups = namingGroups(store, local);
  const byKey = local.keyIndex(local.annotations());
  return { groups, ...planNames(renameInputs(local, byKey, groups), groups) };
}

/** Where a sync gave an individual back a name an import gave it (no rename event did). */
const GIVEN_BACK = 'team';

/**
 * Gives each group of the derived partition the name the team's log gives it (in the caller's
 * transaction, after deriving): a row renamed (recorded in the name log with the event it applies, so it
 * is not pushed again), or the group moved into the individual that holds the name without photos, or,
 * for a group no person named that holds a person's name, into a new individual with a generated name.
 * Moves are changes of assignment, recorded with cause 'sync'. Answers how many annotations moved.
 */
export function applyTeamNames(store: CatalogStore, local: TeamLocalStore): number {
  const { groups, wanted } = teamNames(store, local);
  const seeds = new Set(store.annotations.givenIndividuals().values());
  const rows = local.individualNames();
  const byName = new Map([...rows].map(([id, row]) => [row.name, id]));
  const size = new Map(groups.map((group) => [group.individual, group.members.length]));
  let moved = 0;
  const move = (from: number, into: number, detail: string) => {
    const effects: Effect[] = store.annotations.byIndividual(from).map((a) => ({ annotationId: a.id, individualBefore: from, individualAfter: into }));
    for (const effect of effects) store.annotations.setIndividual(effect.annotationId, into);
    store.decisions.recordChanges(effects, { kind: 'sync', decisionId: store.decisions.newestId() ?? null, detail });
    size.set(into, effects.length);
    size.set(from, 0);
    moved += effects.length;
  };
  const rename = (id: number, to: string, uid: string | null, reviewer: string | null) => {
    const from = rows.get(id)!.name;
    store.individuals.rename(id, from, to, reviewer, uid ?? GIVEN_BACK);
    byName.delete(from);
    byName.set(to, id);
    rows.set(id, { name: to, named: true });
  };
  const unnamed = () => {
    const created = createGeneratedIndividual(store);
    rows.set(created.id, { name: created.name, named: false });
    byName.set(created.name, created.id);
    return created.id;
  };

  // Each group still to name, by the individual holding it now (a move changes that).
  let pending = groups
    .map((group) => ({ individual: group.individual, want: wanted.get(group.individual)! }))
    .filter(({ individual, want }) => (want === null ? rows.get(individual)!.named : rows.get(individual)!.name !== want.name));
  while (pending.length > 0) {
    const waiting: typeof pending = [];
    for (const group of pending) {
      const { want } = group;
      if (want === null) {
        move(group.individual, unnamed(), 'no person named this group any more');
        continue;
      }
      const holder = byName.get(want.name);
      if (holder === undefined) rename(group.individual, want.name, want.uid, want.reviewer);
      else if ((size.get(holder) ?? 0) > 0) waiting.push(group); // its group is being renamed away
      else if (!seeds.has(group.individual)) move(group.individual, holder, `named "${want.name}" by the team`);
      else {
        // A person-given individual keeps its id (the names given point at it): the empty one steps aside.
        rename(holder, `${want.name} (#${holder}, no photos)`, want.uid, null);
        rename(group.individual, want.name, want.uid, want.reviewer);
      }
    }
    if (waiting.length > 0 && waiting.length === pending.length) {
      // Names going round (A takes B's, B takes A's): one of them gets out of the way first.
      const first = waiting[0];
      if (seeds.has(first.individual)) rename(first.individual, `${rows.get(first.individual)!.name} (#${first.individual}, renaming)`, null, null);
      else {
        const fresh = unnamed();
        move(first.individual, fresh, 'out of the way of a rename');
        first.individual = fresh;
      }
    }
    pending = waiting;
  }
  return moved;
}
