import type { Annotation } from '../../shared/api.ts';
import { corners } from '../lib/box-geometry.ts';
import { fileName } from '../lib/format.ts';
import { useClient } from '../lib/use-client.ts';

/** One annotation's whole photo, upright, with its box (turned by theta) drawn over it. */
function WholePhoto({ annotation, label }: { annotation: Annotation; label: string }) {
  const client = useClient();
  const { imageWidth: width, imageHeight: height } = annotation;
  const outline = annotation.box
    ? corners({ ...annotation.box, theta: annotation.theta })
        .map((p) => `${p.x},${p.y}`)
        .join(' ')
    : `0,0 ${width},0 ${width},${height} 0,${height}`;
  return (
    <figure className="whole-photo" data-annotation={annotation.id}>
      <div className="whole-photo-frame" style={{ aspectRatio: `${width} / ${height}` }}>
        <img src={client.mediaUrl({ kind: 'image', imageId: annotation.imageId })} alt={`${label}: the whole photo`} />
        <svg viewBox={`0 0 ${width} ${height}`} aria-hidden="true">
          <polygon points={outline} vectorEffect="non-scaling-stroke" />
        </svg>
      </div>
      <figcaption>
        {label} · #{annotation.id} · {fileName(annotation.image)} · {annotation.box ? 'its box' : 'the whole photo'}
      </figcaption>
    </figure>
  );
}

/** Both annotations' whole photos with their boxes: where in the frame each crop comes from. */
export function WholePhotos({ a, b }: { a: Annotation | undefined; b: Annotation | undefined }) {
  return (
    <div className="whole-photos" aria-label="Whole photos">
      {a ? <WholePhoto annotation={a} label="A" /> : <p className="muted">A is not listed</p>}
      {b ? <WholePhoto annotation={b} label="B" /> : <p className="muted">B is not listed</p>}
    </div>
  );
}
