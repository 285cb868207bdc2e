import { describeError, unfaithfulMessage, type ConservationPayload } from '../../shared/conservation.ts';

interface Props {
  /** The guard of the explanation in view: the matches' (layer pass) until the pixel maps' (every pass) arrive. */
  conservation: ConservationPayload | null | undefined;
  layer: string | undefined;
  /** Switches the explanation to another layer (the suggested one). */
  onTryLayer?: (layer: string) => void;
}

/**
 * Says, over the explanation, when it is not faithful to the model (src/shared/conservation.ts): its
 * relevance is not conserved, so its heat maps and pixel maps are not what the rules would give, and
 * they must not be read as if they were. Offers the layer the explainer suggests. Says nothing while
 * the explanation is faithful, but carries the figure for anyone who looks (title, data attribute).
 */
export function FaithfulnessBadge({ conservation, layer, onTryLayer }: Props) {
  if (!conservation || !layer) return null;
  if (conservation.faithful) {
    return (
      <span
        className="faithful-mark"
        data-worst={conservation.worst ?? ''}
        title="the relevance each pass produced sums to what its seed put in, within the guard's bounds"
      >
        relevance conserved: {describeError(conservation.worstLayer)} off at the layer
        {conservation.pixels[0].length > 0 ? `, ${describeError(conservation.worstPixels)} in the pixel maps` : ''}
      </span>
    );
  }
  const suggestion = conservation.suggestedLayer;
  return (
    <div className="unfaithful-badge" role="alert" data-worst={conservation.worst ?? 'non-finite'}>
      <strong>{unfaithfulMessage(layer, conservation.worst, suggestion).replace(/^explanation/, 'Explanation')}</strong>
      <span className="muted"> — the heat maps and pixel maps below are not what the model's relevance gives.</span>
      {suggestion && onTryLayer && (
        <button type="button" onClick={() => onTryLayer(suggestion)}>
          Try {suggestion}
        </button>
      )}
    </div>
  );
}
