import { useEffect, useState } from 'react';
import type { PairMatchesPayload } from '../../shared/explanation.ts';
import type { WorkbenchClient } from '../client/client.ts';
import { decodePixelMaps, type PixelMaps } from './payload.ts';
import { useClient } from './use-client.ts';
import { windowCache, type WindowCache } from './window-cache.ts';

export interface ExplanationRequest {
  /** The model that explains (part of the cache key: the workbench explains with the active model). */
  model: string;
  a: number;
  b: number;
  /** Undefined: the model's default layer. */
  layer?: string;
  kLines: number;
  kColors: number;
}

export interface ExplanationState {
  /** Identifies the request the state belongs to. */
  key: string;
  matches: PairMatchesPayload | null;
  pixels: PixelMaps | null;
  matchesError: Error | null;
  pixelsError: Error | null;
}

export const explanationKey = (r: ExplanationRequest): string =>
  `${r.a}|${r.b}|${r.layer ?? ''}|${r.kLines}|${r.kColors}|${r.model}`;

/** Performance marks the UI benchmark reads (bench/ui.bench.ts). */
export const MARK_OPEN = 'pairx:pair-open';
export const MARK_DRAWN = 'pairx:explanation-drawn';

const argsOf = ({ a, b, layer, kLines, kColors }: ExplanationRequest) => ({ a, b, layer, kLines, kColors });

/** The state of `key` from what the window already holds. */
function held(cache: WindowCache, key: string): ExplanationState {
  return {
    key,
    matches: cache.matches.get(key) ?? null,
    pixels: cache.pixels.get(key) ?? null,
    matchesError: null,
    pixelsError: null,
  };
}

async function fetchPixels(
  client: WorkbenchClient,
  cache: WindowCache,
  request: ExplanationRequest,
): Promise<PixelMaps> {
  const pixels = decodePixelMaps(await client.call('pairs.pixels', argsOf(request)));
  cache.pixels.set(explanationKey(request), pixels);
  return pixels;
}

/**
 * The explanation of the pair in view, in its two phases: matches and heat maps (`pairs.explain`, fast)
 * first, pixel maps (`pairs.pixels`) when they are ready. Answers for a pair the reviewer has already
 * left are dropped. Once the first phase is in, the next pair is prefetched — both phases, into the
 * window's cache — so that moving on draws it at once.
 */
export function useExplanation(
  request: ExplanationRequest | null,
  prefetch: ExplanationRequest | null,
  retry: number,
): ExplanationState {
  const client = useClient();
  const cache = windowCache(client);
  const key = request ? explanationKey(request) : '';
  const [state, setState] = useState<ExplanationState>(() => held(cache, key));

  useEffect(() => {
    if (!request) return;
    let live = true;
    const mine = key;
    const start = held(cache, mine);
    setState(start);
    performance.mark(MARK_OPEN, { detail: mine });
    const update = (patch: Partial<ExplanationState>) => {
      if (live) setState((s) => (s.key === mine ? { ...s, ...patch } : s));
    };

    const run = async () => {
      if (!start.matches) {
        try {
          const matches = await client.call('pairs.explain', argsOf(request));
          cache.matches.set(mine, matches);
          update({ matches });
        } catch (error) {
          update({ matchesError: error as Error });
          return;
        }
      }
      if (!live) return;
      // The workbench computes the next pair only while nobody waits, so this pair's pixel maps come first.
      const nextKey = prefetch ? explanationKey(prefetch) : null;
      const nextMatches =
        prefetch && nextKey && !cache.matches.has(nextKey)
          ? client.call('pairs.prefetch', argsOf(prefetch)).then((m) => cache.matches.set(nextKey, m))
          : Promise.resolve();
      if (!start.pixels) {
        try {
          update({ pixels: await fetchPixels(client, cache, request) });
        } catch (error) {
          update({ pixelsError: error as Error });
        }
      }
      await nextMatches;
      if (live && prefetch && nextKey && !cache.pixels.has(nextKey))
        await fetchPixels(client, cache, prefetch);
    };
    // A failed prefetch is not the reviewer's concern: the pair reports its own error when it is opened.
    void run().catch(() => undefined);
    return () => {
      live = false;
    };
    // The prefetch target follows from the request; it must not restart the explanation.
  }, [client, key, retry]);

  return state.key === key ? state : held(cache, key);
}
