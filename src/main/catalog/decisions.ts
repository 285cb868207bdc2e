import type { DecideArgs, Decision, Individual, IndividualRef } from '../../shared/api.ts';
import { CatalogError, NotFoundError } from './errors.ts';
import type { CatalogStore } from './store/catalog-store.ts';

/** Names given to individuals that a "same" decision creates: ind-0001, ind-0002, … */
const GENERATED_PREFIX = 'ind-';

const generatedName = (number: number): string => `${GENERATED_PREFIX}${String(number).padStart(4, '0')}`;

/** A new individual with a generated name, for a group of photos that answers joined and nobody named. */
export function createGeneratedIndividual(store: CatalogStore): IndividualRef {
  return store.individuals.create(generatedName(store.individuals.highestNumbered(GENERATED_PREFIX) + 1), false);
}

/**
 * Creates individuals with successive generated names, reading the highest one once: a derivation of
 * the whole log names hundreds of groups in one transaction. Use it within that transaction only.
 */
export function generatedIndividuals(store: CatalogStore): () => IndividualRef {
  let highest = store.individuals.highestNumbered(GENERATED_PREFIX);
  return () => store.individuals.create(generatedName(++highest), false);
}

function requireAnnotation(store: CatalogStore, id: number) {
  const annotation = store.annotations.byId(id);
  if (!annotation) throw new NotFoundError(`there is no annotation ${id}`);
  return annotation;
}

const nameOf = (store: CatalogStore, individualId: number): string => store.individuals.byId(individualId)!.name;

/**
 * Appends a verdict on a pair to the log, committed with the caller's transaction. It is evidence: who is
 * who is derived from the log afterwards (ranking/identities.ts), so nothing else is written here. A
 * "same" on annotations of two individuals a person named (an import or a rename) is recorded only when
 * the caller confirms which name to keep; otherwise nothing is written and the conflict is returned.
 */
export function decide(store: CatalogStore, args: DecideArgs & { batch?: number | null; accuracies?: string | null }): { decision: Decision; warning?: string } | { conflict: { nameA: string; nameB: string } } {
  const { a, b, verdict } = args;
  if (a === b) throw new CatalogError('a decision needs two different annotations');
  return store.transaction(() => {
    const first = requireAnnotation(store, a);
    const second = requireAnnotation(store, b);
    const ia = first.individualId;
    const ib = second.individualId;
    let merge: DecideArgs['confirmMerge'] | null = null;
    let warning: string | undefined;
    if (verdict === 'same' && ia !== null && ib !== null && ia !== ib) {
      const named = store.individuals.namedIds();
      if (named.has(ia) && named.has(ib)) {
        if (!args.confirmMerge) return { conflict: { nameA: nameOf(store, ia), nameB: nameOf(store, ib) } };
        merge = args.confirmMerge;
      }
    } else if (verdict === 'different' && ia !== null && ia === ib && first.givenIndividualId !== null && first.givenIndividualId === second.givenIndividualId) {
      warning = `both annotations were named "${nameOf(store, ia)}" by a person; they stay in that individual, and the answer is on record`;
    }
    const decision = store.decisions.append({
      a,
      b,
      verdict,
      merge,
      note: args.note ?? null,
      reviewer: args.reviewer ?? null,
      undoes: null,
      batch: args.batch ?? null,
      accuracies: args.accuracies ?? null,
    });
    return warning === undefined ? { decision } : { decision, warning };
  });
}

/**
 * Takes back the newest decision still in force, and the rest of its batch, by appending undo entries;
 * nothing is deleted. Who is who is then derived again from the log without them (the caller's part).
 * With a reviewer, the decision is that reviewer's own (or one made here without a name); without, the
 * newest made in this catalog: an undo never takes back an answer that came from a teammate's catalog.
 */
export function undo(store: CatalogStore, reviewer?: string): { entries: Decision[]; undone: Decision[] } {
  return store.transaction(() => {
    const last = store.decisions.lastInForce(reviewer);
    if (!last)
      throw new CatalogError(
        reviewer === undefined || store.decisions.counts().decidedPairs === 0
          ? 'there is no decision to undo'
          : `there is no decision of ${reviewer}'s to undo (an undo takes back only the reviewer's own decisions)`,
      );
    const batch = last.batch ?? (store.decisions.batchInForce(last.id).length > 1 ? last.id : null);
    const undone = batch === null ? [last] : store.decisions.batchInForce(batch).reverse();
    const entries = undone.map((decision) =>
      store.decisions.append({ a: decision.a, b: decision.b, verdict: 'undo', merge: null, note: null, reviewer: reviewer ?? null, undoes: decision.id }),
    );
    return { entries, undone };
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
