import type { Individual } from '../../shared/api.ts';
import { ErrorNotice } from './ErrorNotice.tsx';

interface Props {
  individuals: Individual[] | undefined;
  error: Error | null | undefined;
  onRetry: () => void;
  /** A name was clicked: the grid filters by it. */
  onPick: (name: string) => void;
}

/** The catalog's named individuals with their annotation counts. */
export function IndividualsList({ individuals, error, onRetry, onPick }: Props) {
  return (
    <>
      <h2>Individuals</h2>
      <ErrorNotice error={error} action="Listing individuals" onRetry={onRetry} />
      <ul className="individuals" aria-label="Individuals">
        {individuals?.map((individual) => (
          <li key={individual.id}>
            <button type="button" className="link" onClick={() => onPick(individual.name)}>
              {individual.name}
            </button>
            <span className="muted">{individual.annotations.length}</span>
          </li>
        ))}
        {individuals?.length === 0 && <li className="muted">No named individuals yet.</li>}
      </ul>
    </>
  );
}
