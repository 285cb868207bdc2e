import type { QuestionReason } from '../../shared/api.ts';
import type { Answer, HumanEvidence } from './evidence.ts';
import type { QueueEntry } from './identity-queue.ts';

/**
 * Why a question that is not a first look is asked, in words a reviewer can check: the answers involved
 * (who said what about which photos) and what the model thinks. Shown in the pair view, the one-photo
 * view and `pairx catalog candidates`.
 */

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const logit = (p: number): number => Math.log(p / (1 - p));
const percent = (p: number): string => (p < 0.01 ? '<1 %' : p > 0.99 ? '>99 %' : `${Math.round(100 * p)} %`);

function answerText(answer: Answer): string {
  return `#${answer.a}–#${answer.b} "${answer.verdict}" (${answer.reviewer ?? 'no reviewer named'})`;
}

function listAnswers(answers: readonly Answer[], limit = 4): string {
  const shown = answers.slice(0, limit).map(answerText).join(', ');
  return answers.length > limit ? `${shown} and ${answers.length - limit} more` : shown;
}

/** The answers between two groups of annotations, oldest first. */
export function answersBetween(evidence: HumanEvidence, groupA: readonly number[], groupB: readonly number[]): Answer[] {
  const other = new Set(groupB);
  const found: Answer[] = [];
  for (const x of groupA) {
    for (const y of evidence.partners.get(x) ?? []) {
      if (!other.has(y) || (other.has(x) && y < x)) continue;
      found.push(...evidence.answersOf(x, y));
    }
  }
  return found.sort((p, q) => p.decisionId - q.decisionId);
}

export interface ReasonContext {
  evidence: HumanEvidence;
  /** The annotations of a cluster (an individual, or minus an annotation's id for one on its own). */
  membersOf: (cluster: number) => number[];
  nameOf: (cluster: number) => string | null;
}

export function questionReason(entry: QueueEntry, context: ReasonContext): QuestionReason | null {
  if (entry.kind === 'new') return null;
  const modelOnly = sigmoid(logit(Math.min(Math.max(entry.probability, 1e-12), 1 - 1e-12)) - entry.human);
  const again = entry.repeated ? 'a second look at the same photos' : 'asked again through other photos of the two';

  if (entry.kind === 'confirm' && entry.sides) {
    const { side, rest } = entry.sides;
    const across = answersBetween(context.evidence, side, rest).filter((answer) => answer.verdict !== 'unsure');
    const decisions = across.map((answer) => answer.decisionId);
    const name = context.nameOf(entry.clusterA);
    const individual = name ? `"${name}"` : 'this individual';
    if (across.some((answer) => answer.verdict === 'different') && across.some((answer) => answer.verdict === 'same')) {
      return {
        kind: 'disagreement',
        message: `answers disagree about ${individual}: ${listAnswers(across)}; the evidence keeps its ${side.length} and ${rest.length} photo(s) together at ${percent(entry.probability)}`,
        decisions,
      };
    }
    if (side.length === 1 && rest.length > 1 && modelOnly < 0.5) {
      return {
        kind: 'outlier',
        message: `#${side[0]} matches the rest of ${individual} poorly (the model: ${percent(modelOnly)}); it is held there by ${listAnswers(across) || 'no answer'}; confirm that it belongs`,
        decisions,
      };
    }
    return {
      kind: 'confirm',
      message: `confirming a join in ${individual}: ${listAnswers(across) || 'no answer'} joined ${side.length} and ${rest.length} photos that the model finds ${modelOnly < 0.5 ? 'unlike' : 'alike'} (${percent(modelOnly)}); one more answer settles it`,
      decisions,
    };
  }

  const between = answersBetween(context.evidence, context.membersOf(entry.clusterA), context.membersOf(entry.clusterB));
  const decisions = between.map((answer) => answer.decisionId);
  const decided = between.filter((answer) => answer.verdict !== 'unsure');
  if (decided.some((answer) => answer.verdict === 'same') && decided.some((answer) => answer.verdict === 'different')) {
    return { kind: 'disagreement', message: `answers disagree: ${listAnswers(decided)}; ${again}`, decisions };
  }
  if (entry.human > 0) {
    return {
      kind: 'second-look',
      message: `${listAnswers(decided)} did not join them: the model finds the two unlike (${percent(modelOnly)} before the answer); ${again}`,
      decisions,
    };
  }
  if (entry.human < 0) {
    return {
      kind: 'recheck',
      message: `${listAnswers(decided)}, but the model finds them alike (${percent(modelOnly)}) and ${entry.sizeA * entry.sizeB} photo link(s) are at stake; ${again}`,
      decisions,
    };
  }
  return { kind: 'recheck', message: `asked before (${listAnswers(between)}); ${again}`, decisions };
}
