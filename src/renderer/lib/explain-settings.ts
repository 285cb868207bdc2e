import { useCallback, useEffect, useState } from 'react';
import { EXPLAIN_LIMITS } from '../../shared/explanation.ts';
import { storage } from './use-client.ts';

/** What the pair view asks PAIR-X for; kept per catalog in localStorage. */
export interface ExplainChoice {
  /** Empty: the model's default layer. */
  layer: string;
  kLines: number;
  kColors: number;
}

export const DEFAULT_CHOICE: ExplainChoice = {
  layer: '',
  kLines: EXPLAIN_LIMITS.kLines.default,
  kColors: EXPLAIN_LIMITS.kColors.default,
};

/** Whether `value` is a count the schema accepts for this setting. */
export function isCount(value: unknown, setting: keyof typeof EXPLAIN_LIMITS): value is number {
  const { min, max } = EXPLAIN_LIMITS[setting];
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

const key = (catalog: string) => `pairx.explain-settings:${catalog}`;

export function readChoice(raw: string | null): ExplainChoice {
  try {
    const value = JSON.parse(raw ?? 'null') as Partial<ExplainChoice> | null;
    if (!value || typeof value !== 'object') return DEFAULT_CHOICE;
    return {
      layer: typeof value.layer === 'string' ? value.layer : '',
      kLines: isCount(value.kLines, 'kLines') ? value.kLines : DEFAULT_CHOICE.kLines,
      kColors: isCount(value.kColors, 'kColors') ? value.kColors : DEFAULT_CHOICE.kColors,
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
