import type { Individual } from '../../shared/api.ts';
import { ErrorNotice } from './ErrorNotice.tsx';

interface Props {
  individuals: Individual[] | undefined;
  error: Error | null | undefined;
  onRetry: () => void;
  /** The grid filters by this name. */
  onPick: (name: string) => void;
  /** A name was clicked: the individual at a glance. */
  onOpen: (name: string) => void;
}

/** The catalog's individuals with their annotation counts: open one at a glance, or filter the grid by it. */
export function IndividualsList({ individuals, error, onRetry, onPick, onOpen }: Props) {
  return (
    <>
      <h2>Individuals</h2>
      <ErrorNotice error={error} action="Listing individuals" onRetry={onRetry} />
      <ul className="individuals" aria-label="Individuals">
        {individuals?.map((individual) => (
          <li key={individual.id}>
            <button type="button" className="link" onClick={() => onOpen(individual.name)} title="the individual at a glance">
              {individual.name}
            </button>
            <span className="muted">{individual.annotations.length}</span>
            <button type="button" className="link muted" onClick={() => onPick(individual.name)} title={`show only ${individual.name} in the grid`}>
              filter
            </button>
          </li>
        ))}
        {individuals?.length === 0 && <li className="muted">No named individuals yet.</li>}
      </ul>
    </>
  );
}
