import type { Annotation } from '../../shared/api.ts';
import { fileName, formatCaptured, placeOf } from '../lib/format.ts';

/** An annotation as imported, beside its photo: its individual's name, file, side, capture time and place. */
export function AnnotationFacts({
  annotation,
  id,
  label,
}: {
  annotation: Annotation | undefined;
  id: number;
  label: string;
}) {
  return (
    <div className="annotation-facts" aria-label={`Annotation ${label}`}>
      <div className="facts-name">
        <span className="facts-label">{label}</span> {annotation?.name ?? <em>unnamed</em>}
      </div>
      <dl className="facts">
        <dt>File</dt>
        <dd title={annotation?.image}>{annotation ? fileName(annotation.image) : `annotation #${id}`}</dd>
        <dt>Side</dt>
        <dd>{annotation?.side ?? 'unknown'}</dd>
        <dt>Captured</dt>
        <dd>{formatCaptured(annotation?.capturedAt ?? null)}</dd>
        <dt>Place</dt>
        <dd>{(annotation && placeOf(annotation)) ?? 'not recorded'}</dd>
      </dl>
    </div>
  );
}
