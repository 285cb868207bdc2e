import type { Annotation } from '../../shared/api.ts';
import { annotationVersion } from '../../shared/bridge.ts';
import { annotationLabel } from '../lib/format.ts';
import { useClient } from '../lib/use-client.ts';

interface Props {
  annotation: Annotation;
  selected: boolean;
  onSelect: () => void;
}

/** One cell of the catalog grid: the thumbnail, the individual's name, id and side. */
export function AnnotationThumb({ annotation, selected, onSelect }: Props) {
  const client = useClient();
  return (
    <button
      type="button"
      className={selected ? 'thumb selected' : 'thumb'}
      onClick={onSelect}
      title={annotation.image}
    >
      <span className="thumb-image">
        {annotation.thumbnail ? (
          <img
            src={client.mediaUrl({ kind: 'thumb', annotationId: annotation.id, version: annotationVersion(annotation) })}
            alt={annotationLabel(annotation)}
            loading="lazy"
          />
        ) : (
          <span className="muted">no thumbnail</span>
        )}
      </span>
      <span className="thumb-name">{annotation.name ?? <em>unnamed</em>}</span>
      <span className="thumb-meta">
        #{annotation.id} · {annotation.side ?? 'side ?'}
        {annotation.box ? '' : ' · whole photo'}
      </span>
    </button>
  );
}
