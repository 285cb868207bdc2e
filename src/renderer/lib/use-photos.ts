import { useEffect, useState } from 'react';
import type { Photo } from '../../shared/api.ts';
import { useClient } from './use-client.ts';

const PAGE = 1000;
export type AnimalsFilter = 'any' | 'none' | 'several';

/** The catalog's photos with the animals marked on each, under a filter; again when `generation` changes. */
export function usePhotos(animals: AnimalsFilter, generation: number, enabled = true) {
  const client = useClient();
  const [photos, setPhotos] = useState<Photo[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    setError(null);
    (async () => {
      const all: Photo[] = [];
      for (let offset = 0; ; offset += PAGE) {
        const page = await client.call('catalog.photos', { animals, offset, limit: PAGE });
        if (!live) return;
        all.push(...page.photos);
        if (all.length >= page.total || page.photos.length === 0) break;
      }
      if (live) setPhotos(all);
    })().catch((failure: Error) => live && setError(failure));
    return () => {
      live = false;
    };
  }, [client, animals, generation, enabled]);
  return { photos, error };
}
