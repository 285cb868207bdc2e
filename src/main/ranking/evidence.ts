import { ACCURACY_LIMITS, type Verdict } from '../../shared/api.ts';
import { pairNumber } from './knowledge.ts';

/**
 * The evidence a catalog holds about who is who, as log-odds. A reviewer's answer is evidence, not a
 * fact: "same" from a reviewer who is right with probability p multiplies the odds that the two photos
 * show one animal by p / (1 − p), "different" divides them by it, and several answers on one pair add
 * up (Wildbook's LCA weighs human answers the same way). The model's calibrated probability is the prior
 * the answers update.
 */

/** Accuracy assumed for a reviewer nobody has set one for: studies of photo-ID review find 94–98 %. */
export const DEFAULT_ACCURACY = 0.95;
/** Accuracies a setting may take: 1 would make one answer final, which is what this model avoids. */
export const ACCURACY_RANGE = ACCURACY_LIMITS;

/** The log-odds one answer of a reviewer with this accuracy carries. */
export const answerWeight = (accuracy: number): number => Math.log(accuracy / (1 - accuracy));

/** One decision in force, as evidence. */
export interface Answer {
  decisionId: number;
  a: number;
  b: number;
  verdict: Verdict;
  reviewer: string | null;
  /** Log-odds of one answer of this reviewer (answerWeight of their accuracy). */
  weight: number;
}

/** Signed log-odds of one answer: + for "same", − for "different", 0 for "unsure". */
export const signedWeight = (answer: Pick<Answer, 'verdict' | 'weight'>): number =>
  answer.verdict === 'same' ? answer.weight : answer.verdict === 'different' ? -answer.weight : 0;

/**
 * The net human evidence per annotation pair (the sum of its answers' signed weights), and which pairs
 * have any answer at all ("unsure" included: a pair is not asked again for no reason).
 */
export class HumanEvidence {
  /** Net log-odds per annotation pair (pairNumber), for pairs with at least one "same" or "different". */
  readonly net = new Map<number, number>();
  /** Answers per annotation pair, "unsure" included. */
  readonly answered = new Map<number, Answer[]>();
  /** Annotations with at least one answer, and their partners. */
  readonly partners = new Map<number, Set<number>>();

  constructor(readonly answers: readonly Answer[]) {
    for (const answer of answers) {
      const key = pairNumber(answer.a, answer.b);
      const list = this.answered.get(key);
      if (list) list.push(answer);
      else this.answered.set(key, [answer]);
      if (answer.verdict !== 'unsure') this.net.set(key, (this.net.get(key) ?? 0) + signedWeight(answer));
      this.link(answer.a, answer.b);
      this.link(answer.b, answer.a);
    }
  }

  private link(from: number, to: number): void {
    const set = this.partners.get(from);
    if (set) set.add(to);
    else this.partners.set(from, new Set([to]));
  }

  netOf(a: number, b: number): number {
    return this.net.get(pairNumber(a, b)) ?? 0;
  }

  answersOf(a: number, b: number): readonly Answer[] {
    return this.answered.get(pairNumber(a, b)) ?? [];
  }
}
