import { useEffect, useState } from 'react';
import type { Annotation } from '../../shared/api.ts';
import { useClient } from './use-client.ts';

const PAGE = 1000;

/** Every annotation of the catalog, loaded a page at a time; again whenever `generation` changes. */
export function useAllAnnotations(generation: number) {
  const client = useClient();
  const [annotations, setAnnotations] = useState<Annotation[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    let live = true;
    (async () => {
      const all: Annotation[] = [];
      for (let offset = 0; ; offset += PAGE) {
        const page = await client.call('catalog.list', { offset, limit: PAGE });
        all.push(...page.annotations);
        if (!live) return;
        if (all.length >= page.total || page.annotations.length === 0) break;
      }
      if (live) setAnnotations(all);
    })().catch((failure: Error) => live && setError(failure));
    return () => {
      live = false;
    };
  }, [client, generation]);
  return { annotations, error };
}
