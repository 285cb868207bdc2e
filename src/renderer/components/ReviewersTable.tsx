import { useState } from 'react';
import { ACCURACY_LIMITS, type ReviewerAccuracy } from '../../shared/api.ts';
import { formatNumber } from '../lib/format.ts';

interface Props {
  reviewers: ReviewerAccuracy[] | undefined;
  busy: boolean;
  /** Sets a reviewer's accuracy; null estimates it from the answers again. */
  onSet: (reviewer: string | null, accuracy: number | null) => void;
}

const weightOf = (accuracy: number) => Math.log(accuracy / (1 - accuracy));

/**
 * Each reviewer's answers, how many the evidence as a whole overturned, and the accuracy their answers
 * weigh with: estimated from those counts unless a lead sets it (a novice at 0.9, an expert at 0.98).
 */
export function ReviewersTable({ reviewers, busy, onSet }: Props) {
  const [editing, setEditing] = useState<Record<string, string>>({});
  if (!reviewers) return null;
  if (reviewers.length === 0) return <p className="muted">No answers recorded yet.</p>;
  return (
    <table className="reviewers" aria-label="Reviewers">
      <thead>
        <tr>
          <th>Reviewer</th>
          <th>Answers</th>
          <th>Overturned</th>
          <th>Estimated</th>
          <th>In use (weight)</th>
          <th>Set accuracy</th>
        </tr>
      </thead>
      <tbody>
        {reviewers.map((reviewer) => {
          const key = reviewer.reviewer ?? '';
          const text = editing[key] ?? (reviewer.set === null ? '' : String(reviewer.set));
          const value = text.trim() === '' ? null : Number(text);
          const valid = value === null || (value >= ACCURACY_LIMITS.min && value <= ACCURACY_LIMITS.max);
          return (
            <tr key={key}>
              <td>{reviewer.reviewer ?? <em>no name</em>}</td>
              <td>{reviewer.answers}</td>
              <td>{reviewer.overturned}</td>
              <td>{formatNumber(reviewer.estimate, 3)}</td>
              <td>
                {formatNumber(reviewer.inUse, 3)} ({formatNumber(weightOf(reviewer.inUse), 2)})
              </td>
              <td>
                <form
                  className="inline-form"
                  onSubmit={(event) => {
                    event.preventDefault();
                    if (valid) onSet(reviewer.reviewer, value);
                  }}
                >
                  <input
                    type="text"
                    inputMode="decimal"
                    aria-label={`accuracy of ${reviewer.reviewer ?? 'no name'}`}
                    value={text}
                    placeholder="estimate"
                    size={6}
                    aria-invalid={!valid}
                    onChange={(event) => setEditing({ ...editing, [key]: event.target.value })}
                  />
                  <button type="submit" disabled={busy || !valid}>
                    Set
                  </button>
                </form>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
