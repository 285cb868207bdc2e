import type { ReviewerAccuracy } from '../../shared/api.ts';
import type { CatalogStore } from '../catalog/store/catalog-store.ts';
import type { DecisionInForceRow } from '../catalog/store/decisions.ts';
import { ACCURACY_RANGE, DEFAULT_ACCURACY, HumanEvidence, answerWeight, type Answer } from './evidence.ts';

/**
 * How much each reviewer's answers weigh: the accuracy a person set for the reviewer, else one estimated
 * from how often the reviewer's answers agree with what the evidence as a whole decided, under a Beta
 * prior of ESTIMATE_PRIOR_ANSWERS answers at DEFAULT_ACCURACY (a few answers move it little). A reviewer
 * whose answers the evidence keeps overturning weighs less, so that one careless session cannot make a
 * catalog; one who is rarely overturned weighs more, so that fewer confirmations are asked of them.
 */

/** Where a person's setting of a reviewer's accuracy is kept ('' for decisions without a reviewer). */
export const reviewerAccuracyKey = (reviewer: string | null): string => `reviewerAccuracy:${reviewer ?? ''}`;
/** The estimates the stored assignment was derived with. */
const ACCURACIES_IN_USE = 'evidenceAccuracies';
const ESTIMATE_PRIOR_ANSWERS = 50;
/** Estimates are kept in steps of this size, so that the assignment is derived again only when one moves. */
const ESTIMATE_STEP = 0.005;
const ESTIMATE_RANGE = { min: 0.7, max: 0.995 } as const;

const quantise = (accuracy: number): number => Number((Math.round(accuracy / ESTIMATE_STEP) * ESTIMATE_STEP).toFixed(4));

export class ReviewerAccuracies {
  constructor(private readonly store: CatalogStore) {}

  /** The estimates the assignment was derived with (the default where none is stored yet). */
  private inUse(): Record<string, number> {
    return this.store.settings.get<Record<string, number>>(ACCURACIES_IN_USE) ?? {};
  }

  private setting(reviewer: string | null): number | null {
    const set = this.store.settings.get<number | null>(reviewerAccuracyKey(reviewer));
    return typeof set === 'number' ? set : null;
  }

  /** The accuracy a reviewer's answers weigh with now. */
  of(reviewer: string | null, inUse = this.inUse()): number {
    return this.setting(reviewer) ?? inUse[reviewer ?? ''] ?? DEFAULT_ACCURACY;
  }

  /** A key of every accuracy in use, for caches of what depends on them. */
  key(): string {
    const settings = this.store.db
      .prepare<[], { key: string; value: string }>("SELECT key, value FROM settings WHERE key LIKE 'reviewerAccuracy:%' ORDER BY key")
      .all();
    return JSON.stringify([this.inUse(), settings]);
  }

  /** Every accuracy a person set, by reviewer (null: decisions recorded without a name). */
  settings(): Map<string | null, number> {
    const prefix = reviewerAccuracyKey('');
    const set = new Map<string | null, number>();
    for (const { key, value } of this.store.db
      .prepare<[], { key: string; value: string }>("SELECT key, value FROM settings WHERE key LIKE 'reviewerAccuracy:%'")
      .all()) {
      const accuracy: unknown = JSON.parse(value);
      if (typeof accuracy === 'number') set.set(key === prefix ? null : key.slice(prefix.length), accuracy);
    }
    return set;
  }

  /** The decisions in force as weighted answers. */
  answers(rows: readonly DecisionInForceRow[] = this.store.decisions.inForce()): Answer[] {
    const inUse = this.inUse();
    const weights = new Map<string, number>();
    return rows.map((row) => {
      const key = row.reviewer ?? '';
      let weight = weights.get(key);
      if (weight === undefined) {
        weight = answerWeight(this.of(row.reviewer, inUse));
        weights.set(key, weight);
      }
      return { decisionId: row.id, a: row.a, b: row.b, verdict: row.verdict, reviewer: row.reviewer, weight };
    });
  }

  evidence(rows?: readonly DecisionInForceRow[]): HumanEvidence {
    return new HumanEvidence(this.answers(rows));
  }

  /** Each reviewer's answers, how many the evidence now overturns, and the accuracy in use. */
  list(rows: readonly DecisionInForceRow[] = this.store.decisions.inForce()): ReviewerAccuracy[] {
    const facts = this.store.annotations.facts([...new Set(rows.flatMap((row) => [row.a, row.b]))]);
    const counts = new Map<string, { reviewer: string | null; answers: number; overturned: number }>();
    for (const row of rows) {
      if (row.verdict === 'unsure') continue;
      const key = row.reviewer ?? '';
      const entry = counts.get(key) ?? { reviewer: row.reviewer, answers: 0, overturned: 0 };
      const ia = facts.get(row.a)?.individualId ?? null;
      const ib = facts.get(row.b)?.individualId ?? null;
      const together = ia !== null && ia === ib;
      entry.answers++;
      if ((row.verdict === 'same') !== together) entry.overturned++;
      counts.set(key, entry);
    }
    // A reviewer with no answer in force is listed only where a person set an accuracy for them.
    const settings = this.store.db
      .prepare<[], { key: string }>("SELECT key FROM settings WHERE key LIKE 'reviewerAccuracy:%' AND value <> 'null'")
      .all()
      .map((row) => row.key.slice('reviewerAccuracy:'.length));
    for (const key of settings) if (!counts.has(key)) counts.set(key, { reviewer: key === '' ? null : key, answers: 0, overturned: 0 });
    return [...counts.values()]
      .map((entry) => {
        const agreed = entry.answers - entry.overturned + ESTIMATE_PRIOR_ANSWERS * DEFAULT_ACCURACY;
        const estimate = quantise(Math.min(ESTIMATE_RANGE.max, Math.max(ESTIMATE_RANGE.min, agreed / (entry.answers + ESTIMATE_PRIOR_ANSWERS))));
        const set = this.setting(entry.reviewer);
        return { ...entry, estimate, set, inUse: set ?? estimate };
      })
      .sort((x, y) => (x.reviewer ?? '').localeCompare(y.reviewer ?? ''));
  }

  /** A person sets (or, with null, clears) a reviewer's accuracy. */
  set(reviewer: string | null, accuracy: number | null): void {
    if (accuracy !== null && !(accuracy >= ACCURACY_RANGE.min && accuracy <= ACCURACY_RANGE.max))
      throw new RangeError(`an accuracy must be between ${ACCURACY_RANGE.min} and ${ACCURACY_RANGE.max}`);
    this.store.settings.set(reviewerAccuracyKey(reviewer), accuracy);
  }

  /** The estimates in use, as recorded with a decision. */
  snapshot(): string {
    return JSON.stringify(this.inUse());
  }

  /** Back to estimates recorded with a decision (an undo weighs every answer as before it). */
  restore(snapshot: string): void {
    this.store.settings.set(ACCURACIES_IN_USE, JSON.parse(snapshot));
  }

  /** Back to the prior: every reviewer without a set accuracy weighs as DEFAULT_ACCURACY until estimated again. */
  reset(): void {
    this.store.settings.set(ACCURACIES_IN_USE, {});
  }

  /** Stores the reviewers' current estimates as the ones in use; answers whether one that weighs moved. */
  refresh(rows?: readonly DecisionInForceRow[]): boolean {
    const inUse = this.inUse();
    const next: Record<string, number> = {};
    let moved = false;
    for (const reviewer of this.list(rows)) {
      const key = reviewer.reviewer ?? '';
      next[key] = reviewer.estimate;
      // A reviewer whose accuracy a person set weighs with that, whatever the estimate does.
      if (reviewer.set === null && Math.abs((inUse[key] ?? DEFAULT_ACCURACY) - reviewer.estimate) > 1e-9) moved = true;
    }
    if (moved || Object.keys(next).length !== Object.keys(inUse).length) this.store.settings.set(ACCURACIES_IN_USE, next);
    return moved;
  }
}
