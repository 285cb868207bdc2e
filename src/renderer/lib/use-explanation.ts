import { useEffect, useState } from 'react';
import type { PairMatchesPayload } from '../../shared/explanation.ts';
import { decodePixelMaps, type PixelMaps } from './payload.ts';
import { useClient } from './use-client.ts';

export interface ExplanationRequest {
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
  `${r.a}|${r.b}|${r.layer ?? ''}|${r.kLines}|${r.kColors}`;

/** Performance marks the UI benchmark reads (bench/ui.bench.ts). */
export const MARK_OPEN = 'pairx:pair-open';
export const MARK_DRAWN = 'pairx:explanation-drawn';

/**
 * The explanation of the pair in view, in its two phases: matches and heat maps (`pairs.explain`, fast)
 * first, pixel maps (`pairs.pixels`) when they are ready. Answers for a pair the reviewer has already
 * left are dropped. Once the first phase is in, the next pair is prefetched in the background.
 */
export function useExplanation(
  request: ExplanationRequest | null,
  prefetch: ExplanationRequest | null,
  retry: number,
): ExplanationState {
  const client = useClient();
  const key = request ? explanationKey(request) : '';
  const [state, setState] = useState<ExplanationState>({
    key,
    matches: null,
    pixels: null,
    matchesError: null,
    pixelsError: null,
  });

  useEffect(() => {
    if (!request) return;
    let live = true;
    const mine = explanationKey(request);
    setState({ key: mine, matches: null, pixels: null, matchesError: null, pixelsError: null });
    performance.mark(MARK_OPEN, { detail: mine });
    const args = {
      a: request.a,
      b: request.b,
      layer: request.layer,
      kLines: request.kLines,
      kColors: request.kColors,
    };
    client.call('pairs.explain', args).then(
      (matches) => {
        if (!live) return;
        setState((s) => (s.key === mine ? { ...s, matches } : s));
        if (prefetch) void client.call('pairs.prefetch', prefetch).catch(() => undefined);
        client.call('pairs.pixels', args).then(
          (payload) => {
            if (!live) return;
            try {
              const pixels = decodePixelMaps(payload);
              setState((s) => (s.key === mine ? { ...s, pixels } : s));
            } catch (error) {
              setState((s) => (s.key === mine ? { ...s, pixelsError: error as Error } : s));
            }
          },
          (error: Error) => live && setState((s) => (s.key === mine ? { ...s, pixelsError: error } : s)),
        );
      },
      (error: Error) => live && setState((s) => (s.key === mine ? { ...s, matchesError: error } : s)),
    );
    return () => {
      live = false;
    };
    // The prefetch target follows from the request; it must not restart the explanation.
  }, [client, key, retry]);

  return state.key === key
    ? state
    : { key, matches: null, pixels: null, matchesError: null, pixelsError: null };
}
