import type { QuestionReason as Reason } from '../../shared/api.ts';

const LABEL: Record<Reason['kind'], string> = {
  disagreement: 'Answers disagree',
  'second-look': 'Second look',
  recheck: 'Asked again',
  confirm: 'Confirm a join',
  outlier: 'Does it belong?',
};

/** A short label for why a question is asked, for the queue's rows. */
export const reasonLabel = (reason: Reason): string => LABEL[reason.kind];

/**
 * Why a question that is not a first look is asked (answers that disagree, a join the evidence holds
 * weakly, a "different" the model doubts), shown above the pair so that the reviewer looks with that in mind.
 */
export function QuestionReasonBanner({ reason }: { reason: Reason | null | undefined }) {
  if (!reason) return null;
  return (
    <p className={`question-reason reason-${reason.kind}`} role="note" aria-label="Why this question is asked">
      <strong>{LABEL[reason.kind]}:</strong> {reason.message}
    </p>
  );
}
