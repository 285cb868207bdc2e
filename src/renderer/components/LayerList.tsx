import type { ApiResult } from '../../shared/api.ts';
import type { ExplainChoice } from '../lib/explain-settings.ts';
import { isSpatialLayer } from '../lib/layers.ts';

interface Props {
  layers: ApiResult<'models.layers'>;
  choice: ExplainChoice;
  onChoice: (change: Partial<ExplainChoice>) => void;
  /** Whether these are the active model's layers, which the pair view can use. */
  usable: boolean;
}

/** A model's layers (module tree with output shapes), and which one the pair view explains. */
export function LayerList({ layers, choice, onChoice, usable }: Props) {
  return (
    <>
      <p className="muted">
        Pair view layer: <strong>{choice.layer || `default (${layers.default})`}</strong>
        {choice.layer && (
          <button type="button" className="small" onClick={() => onChoice({ layer: '' })}>
            Use the model’s default
          </button>
        )}
      </p>
      <ul className="layers" aria-label="Layers">
        {layers.layers.map((layer) => (
          <li key={layer.key} style={{ paddingLeft: `${Math.max(0, layer.depth - 1) * 1.2}em` }}>
            <code>{layer.key}</code> <span className="muted">[{layer.shape.join('×')}]</span>
            {layer.key === layers.default && <span className="badge">default</span>}
            {isSpatialLayer(layer) && usable && (
              <button
                type="button"
                className="small use-layer"
                disabled={choice.layer === layer.key}
                aria-label={`Use ${layer.key} in the pair view`}
                onClick={() => onChoice({ layer: layer.key })}
              >
                {choice.layer === layer.key ? 'in use' : 'use'}
              </button>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}
