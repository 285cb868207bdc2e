import type { BridgeResult } from '../../shared/bridge.ts';
import type { PairMatchesPayload } from '../../shared/explanation.ts';
import type { WorkbenchClient } from '../client/client.ts';
import type { PixelMaps } from './payload.ts';

/** A map that keeps its `capacity` most recently used entries. */
export class LruMap<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as K);
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * What the window holds of pairs it has shown or prefetched, so that moving to the next pair draws
 * from memory instead of asking the workbench again: both phases of explanations, the model-sized
 * views as decoded images, and the layer lists. A few pairs back and ahead are enough; pixel maps are about 1.3 MB a pair.
 */
export interface WindowCache {
  matches: LruMap<string, PairMatchesPayload>;
  pixels: LruMap<string, PixelMaps>;
  /** Loaded images by `model|url` (a view's address is the same under every model). */
  images: LruMap<string, HTMLImageElement>;
  /** Each model's layers (a model's layers never change; its id names its file's contents). */
  layers: LruMap<string, BridgeResult<'models.layers'>>;
}

const caches = new WeakMap<WorkbenchClient, WindowCache>();

/**
 * Forgets what the window holds: the queue was loaded again, after an import (which may have moved an
 * annotation's box) or with another model.
 */
export function forgetWindowCache(client: WorkbenchClient): void {
  caches.delete(client);
}

export function windowCache(client: WorkbenchClient): WindowCache {
  let cache = caches.get(client);
  if (!cache) {
    cache = { matches: new LruMap(16), pixels: new LruMap(6), images: new LruMap(12), layers: new LruMap(4) };
    caches.set(client, cache);
  }
  return cache;
}
