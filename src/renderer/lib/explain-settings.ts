import { useCallback, useEffect, useState } from 'react';
import { storage } from './use-client.ts';

/** What the pair view asks PAIR-X for; kept per catalog in localStorage. */
export interface ExplainChoice {
  /** Empty: the model's default layer. */
  layer: string;
  kLines: number;
  kColors: number;
}

export const DEFAULT_CHOICE: ExplainChoice = { layer: '', kLines: 20, kColors: 10 };

const key = (catalog: string) => `pairx.explain-settings:${catalog}`;

export function readChoice(raw: string | null): ExplainChoice {
  try {
    const value = JSON.parse(raw ?? 'null') as Partial<ExplainChoice> | null;
    if (!value || typeof value !== 'object') return DEFAULT_CHOICE;
    const count = (v: unknown, max: number, fallback: number) =>
      typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max ? v : fallback;
    return {
      layer: typeof value.layer === 'string' ? value.layer : '',
      kLines: count(value.kLines, 200, DEFAULT_CHOICE.kLines),
      kColors: count(value.kColors, 50, DEFAULT_CHOICE.kColors),
    };
  } catch {
    return DEFAULT_CHOICE;
  }
}

export function useExplainChoice(
  catalog: string | null,
): [ExplainChoice, (change: Partial<ExplainChoice>) => void] {
  const [choice, setChoice] = useState<ExplainChoice>(DEFAULT_CHOICE);
  useEffect(() => {
    setChoice(catalog ? readChoice(storage()?.getItem(key(catalog)) ?? null) : DEFAULT_CHOICE);
  }, [catalog]);
  const update = useCallback(
    (change: Partial<ExplainChoice>) =>
      setChoice((previous) => {
        const next = { ...previous, ...change };
        if (catalog) storage()?.setItem(key(catalog), JSON.stringify(next));
        return next;
      }),
    [catalog],
  );
  return [choice, update];
}
