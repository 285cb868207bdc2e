import type { Photo } from '../../shared/api.ts';
import { fileName } from '../lib/format.ts';
import { useClient } from '../lib/use-client.ts';

/** What a photo's badge says: no animal marked (no box), or how many are. */
export function animalsLabel(photo: Pick<Photo, 'annotations' | 'boxes'>): string {
  if (photo.boxes === 0) return photo.annotations === 0 ? 'no animal marked' : 'whole photo only';
  return `${photo.annotations} animal${photo.annotations === 1 ? '' : 's'}`;
}

/** One cell of the catalog's photo grid: the photo's thumbnail, its file, and the animals marked on it. */
export function PhotoThumb({ photo, onOpen }: { photo: Photo; onOpen: () => void }) {
  const client = useClient();
  const badge = photo.boxes === 0 ? 'badge none' : photo.annotations > 1 ? 'badge several' : 'badge';
  return (
    <button type="button" className="thumb" onClick={onOpen} title={`${photo.path}: open to draw boxes`}>
      <span className="thumb-image">
        <img src={client.mediaUrl({ kind: 'image-thumb', imageId: photo.id })} alt={fileName(photo.path)} loading="lazy" />
        <span className={badge}>{animalsLabel(photo)}</span>
      </span>
      <span className="thumb-name">{fileName(photo.path)}</span>
      <span className="thumb-meta">photo {photo.id}</span>
    </button>
  );
}
