import type { DecideArgs, DecideResult, Individual, IndividualRef, UndoResult } from '../../shared/api.ts';
import { CatalogError, NotFoundError } from './errors.ts';
import type { CatalogStore } from './store/catalog-store.ts';
import type { Effect } from './store/decisions.ts';

/** Names given to individuals that a "same" decision creates: ind-0001, ind-0002, … */
const GENERATED_PREFIX = 'ind-';

function nextGeneratedName(store: CatalogStore): string {
  let highest = 0;
  for (const name of store.individuals.namesWithPrefix(GENERATED_PREFIX)) {
    const match = /^ind-(\d+)$/.exec(name);
    if (match) highest = Math.max(highest, Number(match[1]));
  }
  return `${GENERATED_PREFIX}${String(highest + 1).padStart(4, '0')}`;
}

function requireAnnotation(store: CatalogStore, id: number) {
  const annotation = store.annotations.byId(id);
  if (!annotation) throw new NotFoundError(`there is no annotation ${id}`);
  return annotation;
}

const nameOf = (store: CatalogStore, individualId: number): string => store.individuals.byId(individualId)!.name;

/**
 * Records a verdict on a pair, committed before it returns. "same" puts both annotations into one
 * individual: an unnamed one joins the other's; two unnamed ones form a new individual with a
 * generated name; two differently named individuals are merged only when the caller confirms which
 * name to keep (otherwise nothing is written and the conflict is returned). Every change of an
 * annotation's individual is logged with the decision, so undo can restore it exactly.
 */
export function decide(store: CatalogStore, args: DecideArgs): DecideResult {
  const { a, b, verdict } = args;
  if (a === b) throw new CatalogError('a decision needs two different annotations');
  return store.transaction((): DecideResult => {
    const first = requireAnnotation(store, a);
    const second = requireAnnotation(store, b);
    const effects: Effect[] = [];
    const move = (annotationId: number, before: number | null, after: number) => effects.push({ annotationId, individualBefore: before, individualAfter: after });
    let individual: IndividualRef | null = null;
    let merge: DecideArgs['confirmMerge'] | null = null;
    let warning: string | undefined;

    if (verdict === 'same') {
      const ia = first.individualId;
      const ib = second.individualId;
      if (ia === null && ib === null) {
        individual = store.individuals.create(nextGeneratedName(store), false);
        move(a, null, individual.id);
        move(b, null, individual.id);
      } else if (ia === null || ib === null) {
        individual = store.individuals.byId((ia ?? ib)!)!;
        if (ia === null) move(a, null, individual.id);
        else move(b, null, individual.id);
      } else if (ia === ib) {
        individual = store.individuals.byId(ia)!;
      } else {
        if (!args.confirmMerge) return { conflict: { nameA: nameOf(store, ia), nameB: nameOf(store, ib) } };
        merge = args.confirmMerge;
        const [keep, drop] = merge === 'keep-a' ? [ia, ib] : [ib, ia];
        individual = store.individuals.byId(keep)!;
        for (const annotation of store.annotations.byIndividual(drop)) move(annotation.id, drop, keep);
      }
    } else if (verdict === 'different' && first.individualId !== null && first.individualId === second.individualId) {
      warning = `both annotations are named "${nameOf(store, first.individualId)}"; the names are unchanged`;
    }

    for (const effect of effects) store.annotations.setIndividual(effect.annotationId, effect.individualAfter);
    const decision = store.decisions.append(
      { a, b, verdict, merge, note: args.note ?? null, reviewer: args.reviewer ?? null, undoes: null },
      effects,
    );
    return warning === undefined ? { decision, individual } : { decision, individual, warning };
  });
}

/**
 * Takes back the newest decision still in force by appending an undo entry; nothing is deleted. The
 * individuals it changed get their previous individual back, unless something else (an import) has
 * changed them since.
 */
export function undo(store: CatalogStore, reviewer?: string): UndoResult {
  return store.transaction(() => {
    const last = store.decisions.lastInForce();
    if (!last) throw new CatalogError('there is no decision to undo');
    const restored: Effect[] = [];
    for (const effect of store.decisions.effects(last.id)) {
      if (store.annotations.byId(effect.annotationId)?.individualId !== effect.individualAfter) continue;
      store.annotations.setIndividual(effect.annotationId, effect.individualBefore);
      restored.push({ annotationId: effect.annotationId, individualBefore: effect.individualAfter, individualAfter: effect.individualBefore });
    }
    const entry = store.decisions.append(
      { a: last.a, b: last.b, verdict: 'undo', merge: null, note: null, reviewer: reviewer ?? null, undoes: last.id },
      restored,
    );
    return { entry, undone: store.decisions.byId(last.id)! };
  });
}

export function renameIndividual(store: CatalogStore, from: string, to: string, reviewer?: string): IndividualRef {
  const newName = to.trim();
  if (newName === '') throw new CatalogError('a name cannot be empty');
  return store.transaction(() => {
    const individual = store.individuals.byName(from);
    if (!individual) throw new CatalogError(`there is no individual named "${from}"`);
    if (newName === individual.name) return individual;
    const taken = store.individuals.byName(newName);
    if (taken) {
      const count = store.individuals.annotationCount(taken.id);
      throw new CatalogError(
        `the name "${newName}" is taken (${count} annotation${count === 1 ? '' : 's'}); to join the two individuals, decide "same" on one annotation of each`,
      );
    }
    store.individuals.rename(individual.id, individual.name, newName, reviewer ?? null);
    return { id: individual.id, name: newName };
  });
}

/** Individuals with at least one annotation, by name, each with its annotations. */
export function listIndividuals(store: CatalogStore): Individual[] {
  const byIndividual = new Map<number, Individual['annotations']>();
  for (const annotation of store.annotations.view().annotations) {
    if (annotation.individualId === null) continue;
    const list = byIndividual.get(annotation.individualId) ?? [];
    list.push(annotation);
    byIndividual.set(annotation.individualId, list);
  }
  return store.individuals.withAnnotations().map((individual) => ({ ...individual, annotations: byIndividual.get(individual.id) ?? [] }));
}
