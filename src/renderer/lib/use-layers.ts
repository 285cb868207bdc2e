import type { BridgeResult } from '../../shared/bridge.ts';
import { useCall, useClient } from './use-client.ts';
import { windowCache } from './window-cache.ts';

/**
 * The active model's layers: from the window's cache when this model's list was seen before (opening
 * the pair view then starts explaining at once), else asked of the workbench and kept.
 */
export function useLayers(model: string | null): {
  data: BridgeResult<'models.layers'> | undefined;
  error: Error | undefined;
} {
  const cache = windowCache(useClient());
  const held = model ? cache.layers.get(model) : undefined;
  const asked = useCall('models.layers', held ? null : {}, [model, Boolean(held)]);
  if (held) return { data: held, error: undefined };
  // The answer is for the active model, which the queue's model names (both come from the workbench).
  if (asked.loading) return { data: undefined, error: undefined }; // an earlier model's list may still be there
  if (model && asked.data) cache.layers.set(model, asked.data);
  return { data: asked.data, error: asked.error };
}
