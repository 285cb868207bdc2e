import type { Annotation } from '../../shared/api.ts';
import { annotationLabel } from '../lib/format.ts';
import { useClient } from '../lib/use-client.ts';

/** The chosen annotation beside the grid: its photo, file, side and capture time. */
export function AnnotationDetail({ annotation, onEditBoxes }: { annotation: Annotation; onEditBoxes?: () => void }) {
  const client = useClient();
  return (
    <div className="annotation-detail">
      <h2>{annotation.name ?? 'Unnamed'}</h2>
      {onEditBoxes && (
        <button type="button" onClick={onEditBoxes}>
          Boxes on this photo
        </button>
      )}
      <img
        src={client.mediaUrl({ kind: 'photo', annotationId: annotation.id })}
        alt={annotationLabel(annotation)}
      />
      <dl className="facts">
        <dt>File</dt>
        <dd>{annotation.image}</dd>
        <dt>Side</dt>
        <dd>{annotation.side ?? 'unknown'}</dd>
        <dt>Captured</dt>
        <dd>{annotation.capturedAt ?? 'unknown'}</dd>
      </dl>
    </div>
  );
}
