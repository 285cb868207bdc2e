import { useEffect, useState } from 'react';
import { useClient } from './use-client.ts';
import { windowCache, type WindowCache } from './window-cache.ts';

type ImageState = { key: string | null; image: HTMLImageElement | null; error: Error | null };

/** Loads and decodes `url`, so that drawing it later costs no decoding; rejects if it cannot be shown. */
function load(url: string): Promise<HTMLImageElement> {
  const image = new Image();
  image.decoding = 'async';
  image.src = url;
  return image.decode().then(() => image);
}

/** An image's key in the window's cache: its address within `scope` (see useImage). */
const imageKey = (scope: string, url: string) => `${scope}|${url}`;

/** Loads `url` into the window's cache ahead of time (the next pair's photos); errors wait for its view. */
export function preloadImage(cache: WindowCache, url: string, scope: string): void {
  const key = imageKey(scope, url);
  if (cache.images.has(key)) return;
  load(url).then(
    (image) => cache.images.set(key, image),
    () => undefined,
  );
}

/**
 * An image of `url` once it has loaded (null before), and its error; `scope` tells apart images whose
 * address stays the same while their content changes (a model-sized view under another model). An
 * <img> does not say why it failed, so the URL is fetched once more for the workbench's message (a
 * missing photo names its file).
 */
export function useImage(url: string | null, scope: string, label: string): Omit<ImageState, 'key'> {
  const cache = windowCache(useClient());
  const key = url === null ? null : imageKey(scope, url);
  const [state, setState] = useState<ImageState>({ key: null, image: null, error: null });
  useEffect(() => {
    if (url === null || key === null) return;
    if (cache.images.has(key)) return;
    let live = true;
    load(url).then(
      (image) => {
        cache.images.set(key, image);
        if (live) setState({ key, image, error: null });
      },
      async () => {
        let message = 'it is missing or unreadable';
        try {
          const body = (await (await fetch(url)).json()) as { error?: { message?: string } };
          if (body.error?.message) message = body.error.message;
        } catch {
          // keep the generic message
        }
        if (live) setState({ key, image: null, error: new Error(`photo ${label}: ${message}`) });
      },
    );
    return () => {
      live = false;
    };
  }, [cache, url, key, label]);
  if (key === null) return { image: null, error: null };
  const cached = cache.images.get(key);
  if (cached) return { image: cached, error: null };
  return state.key === key ? state : { image: null, error: null };
}
