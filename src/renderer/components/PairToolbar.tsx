import type { ApiResult } from '../../shared/api.ts';
import { EXPLAIN_LIMITS } from '../../shared/explanation.ts';
import { isCount, type ExplainChoice } from '../lib/explain-settings.ts';
import { formatNumber } from '../lib/format.ts';
import { isSpatialLayer, layerSize } from '../lib/layers.ts';

interface Props {
  /** Position in the queue, from 0. */
  index: number;
  count: number;
  status: string;
  similarity: number | null | undefined;
  plausibility: number | null | undefined;
  provider: string | null;
  /** The chosen layer; undefined for the model's default. */
  layer: string | undefined;
  layers: ApiResult<'models.layers'> | null;
  choice: ExplainChoice;
  onChoice: (change: Partial<ExplainChoice>) => void;
  onBack: () => void;
  onMove: (index: number) => void;
  onExport: () => void;
}

/** The pair view's top bar: back, previous/next, the pair's scores, the explanation settings, export. */
export function PairToolbar(props: Props) {
  const { index, count, status, layer, layers, choice, onChoice, onMove } = props;
  const spatialLayers = layers?.layers.filter(isSpatialLayer) ?? [];
  const countInput = (setting: 'kLines' | 'kColors', label: string) => (
    <input
      type="number"
      min={EXPLAIN_LIMITS[setting].min}
      max={EXPLAIN_LIMITS[setting].max}
      value={choice[setting]}
      aria-label={label}
      onChange={(event) => {
        const value = Number(event.target.value);
        if (isCount(value, setting)) onChoice({ [setting]: value });
      }}
    />
  );
  return (
    <div className="pair-toolbar">
      <button type="button" onClick={props.onBack} title="Back to the queue (Esc)">
        ← Queue
      </button>
      <button type="button" onClick={() => onMove(index - 1)} disabled={index === 0} aria-label="Previous pair (K)">
        ‹
      </button>
      <span className="pair-position" aria-live="polite">
        Pair {index + 1} of {count}
      </span>
      <button
        type="button"
        onClick={() => onMove(index + 1)}
        disabled={index >= count - 1}
        aria-label="Next pair (J)"
      >
        ›
      </button>
      <span className={`status status-${status}`}>{status}</span>
      <span className="pair-stat" title="cosine similarity of the embeddings">
        similarity <strong>{formatNumber(props.similarity)}</strong>
      </span>
      <span className="pair-stat" title="RANSAC homography inlier ratio of the top matches (PAIR-X plausibility)">
        plausibility <strong>{formatNumber(props.plausibility, 2)}</strong>
      </span>
      {props.provider && <span className="pair-stat muted">{props.provider}</span>}
      <span className="spacer" />
      <label>
        Layer
        <select
          value={layer ?? ''}
          onChange={(event) => onChoice({ layer: event.target.value })}
          aria-label="Layer"
          disabled={!layers}
        >
          <option value="">default{layers ? ` (${layers.default})` : ''}</option>
          {spatialLayers.map((l) => (
            <option key={l.key} value={l.key}>
              {'  '.repeat(Math.max(0, l.depth - 1))}
              {l.key} [{layerSize(l)}]
            </option>
          ))}
        </select>
      </label>
      <label>
        Lines
        {countInput('kLines', 'Matches drawn as lines')}
      </label>
      <label>
        Pixel maps
        {countInput('kColors', 'Matches with pixel maps')}
      </label>
      <button type="button" onClick={props.onExport} title="The picture in the reference layout (E)">
        Export PNG
      </button>
    </div>
  );
}
