import { useState } from 'react';
import type { CatalogEvaluation } from '../../shared/api.ts';
import { useClient } from '../lib/use-client.ts';
import { ErrorNotice } from './ErrorNotice.tsx';

const percent = (value: number) => `${(100 * value).toFixed(1)} %`;

/**
 * "How good is a model on my photos?": rank-1 and mAP of the catalog's model over its named
 * annotations, each against the others of its side (`catalog.evaluate`), so that a user can compare
 * the default model with their own on their own animals.
 */
export function EvaluatePanel() {
  const client = useClient();
  const [result, setResult] = useState<CatalogEvaluation | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <div className="evaluate-panel">
      <p className="muted">
        Each named annotation is a query against the others of its side or viewpoint: rank-1 is how often the most
        similar one shows the same individual, mAP how high all of them rank. Embed with a model first, then evaluate it.
      </p>
      <button
        type="button"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setError(null);
          try {
            setResult(await client.call('catalog.evaluate', {}));
          } catch (failure) {
            setError(failure as Error);
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? 'Evaluating…' : 'Evaluate the model on this catalog'}
      </button>
      <ErrorNotice error={error} action="Evaluating the model" />
      {result && (
        <div className="summary" aria-label="Evaluation">
          <dl>
            <div>
              <dt>rank-1</dt>
              <dd>{percent(result.rank1)}</dd>
            </div>
            <div>
              <dt>mAP</dt>
              <dd>{percent(result.mAP)}</dd>
            </div>
            <div>
              <dt>queries</dt>
              <dd>{result.queries}</dd>
            </div>
            <div>
              <dt>named annotations</dt>
              <dd>
                {result.annotations} ({result.individuals} individuals)
              </dd>
            </div>
          </dl>
          <p className="muted">
            by {result.model}
            {result.skipped > 0 && ` · ${result.skipped} without another of their individual and side`}
            {result.notEmbedded > 0 && ` · ${result.notEmbedded} named annotations have no vector yet: embed first`}
            {result.individualsSeenInTraining
              ? ` · the model was trained on ${result.individualsSeenInTraining} of these individuals, so these figures overstate what it does on new animals`
              : ''}
          </p>
        </div>
      )}
    </div>
  );
}
