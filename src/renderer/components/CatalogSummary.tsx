import type { CatalogStatus } from '../../shared/api.ts';
import { ErrorNotice } from './ErrorNotice.tsx';

interface Props {
  status: CatalogStatus | undefined;
  error: Error | null | undefined;
  onRetry: () => void;
}

/** What the catalog holds: photos, annotations, names, individuals, vectors, decisions. */
export function CatalogSummary({ status, error, onRetry }: Props) {
  return (
    <div className="summary" aria-label="Catalog summary">
      <ErrorNotice error={error} action="Reading the catalog" onRetry={onRetry} />
      {status && (
        <dl>
          <div>
            <dt>Photos</dt>
            <dd>
              {status.images}
              {status.missingImages > 0 && <span className="warning"> ({status.missingImages} missing)</span>}
            </dd>
          </div>
          <div>
            <dt>Annotations</dt>
            <dd>{status.annotations}</dd>
          </div>
          <div>
            <dt>Named</dt>
            <dd>{status.namedAnnotations}</dd>
          </div>
          <div>
            <dt>Individuals</dt>
            <dd>{status.individuals}</dd>
          </div>
          <div>
            <dt>Embedded</dt>
            <dd>
              {status.embedded.length === 0
                ? 'not yet'
                : status.embedded.map((m) => `${m.embedded} (${m.model.split('@')[0]})`).join(', ')}
            </dd>
          </div>
          <div>
            <dt>Decided pairs</dt>
            <dd>{status.decidedPairs}</dd>
          </div>
        </dl>
      )}
    </div>
  );
}
