import type { CandidatePair, Verdict } from '../../shared/api.ts';

/**
 * The review queue's navigation: positions, statuses recorded in this session, and the position that
 * survives a restart (stored per catalog, by pair rather than by index, since decided pairs leave the
 * queue the next time it is loaded).
 */
export type PairStatus = 'open' | Verdict | 'skipped';

/**
 * A question's key for this session's statuses: its two annotations and, for a question asked again,
 * the answers it is asked after, so that the same pair asked again is a new question, not a decided one.
 */
export const pairKey = (pair: { a: number; b: number; reason?: { decisions: number[] } | null }): string => {
  const base = pair.a < pair.b ? `${pair.a}-${pair.b}` : `${pair.b}-${pair.a}`;
  return pair.reason && pair.reason.decisions.length > 0 ? `${base}#${pair.reason.decisions.join('.')}` : base;
};

/** Whether two questions (or a question and a decision) are about the same two annotations. */
export const samePair = (x: { a: number; b: number }, y: { a: number; b: number }): boolean =>
  (x.a === y.a && x.b === y.b) || (x.a === y.b && x.b === y.a);

export function clampIndex(index: number, length: number): number {
  if (length === 0) return 0;
  return Math.min(length - 1, Math.max(0, index));
}

export const moveIndex = (index: number, delta: number, length: number): number =>
  clampIndex(index + delta, length);

/**
 * Where the reviewer goes after deciding the pair at `index`: the next pair still open, looking ahead
 * first and wrapping to earlier ones; null when every pair has a status.
 */
export function nextOpen(
  queue: readonly CandidatePair[],
  statuses: ReadonlyMap<string, PairStatus>,
  index: number,
): number | null {
  for (let step = 1; step <= queue.length; step++) {
    const candidate = (index + step) % queue.length;
    if ((statuses.get(pairKey(queue[candidate])) ?? 'open') === 'open') return candidate;
  }
  return null;
}

export interface SavedPosition {
  a: number;
  b: number;
  index: number;
}

/** Minimal storage (localStorage in the window, a Map in tests). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export const positionKey = (catalog: string): string => `pairx.queue-position:${catalog}`;

export function savePosition(
  storage: KeyValueStorage,
  catalog: string,
  queue: readonly CandidatePair[],
  index: number,
): void {
  const pair = queue[index];
  if (!pair) return;
  storage.setItem(
    positionKey(catalog),
    JSON.stringify({ a: pair.a, b: pair.b, index } satisfies SavedPosition),
  );
}

/** The index to resume at: the saved pair where it now is, else the saved index (clamped), else 0. */
export function restorePosition(
  storage: KeyValueStorage,
  catalog: string,
  queue: readonly CandidatePair[],
): number {
  let saved: Partial<SavedPosition> | null = null;
  try {
    saved = JSON.parse(storage.getItem(positionKey(catalog)) ?? 'null');
  } catch {
    saved = null;
  }
  if (!saved || typeof saved !== 'object') return 0;
  const key =
    typeof saved.a === 'number' && typeof saved.b === 'number' ? pairKey({ a: saved.a, b: saved.b }) : null;
  const found = key === null ? -1 : queue.findIndex((pair) => pairKey(pair) === key);
  if (found >= 0) return found;
  return typeof saved.index === 'number' && Number.isFinite(saved.index)
    ? clampIndex(Math.trunc(saved.index), queue.length)
    : 0;
}

const RECENT_KEY = 'pairx.recent-catalogs';
const RECENT_LIMIT = 10;

export function recentCatalogs(storage: KeyValueStorage): string[] {
  try {
    const value: unknown = JSON.parse(storage.getItem(RECENT_KEY) ?? '[]');
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

export function rememberCatalog(storage: KeyValueStorage, folder: string): string[] {
  const list = [folder, ...recentCatalogs(storage).filter((f) => f !== folder)].slice(0, RECENT_LIMIT);
  storage.setItem(RECENT_KEY, JSON.stringify(list));
  return list;
}

export function forgetCatalog(storage: KeyValueStorage, folder: string): string[] {
  const list = recentCatalogs(storage).filter((f) => f !== folder);
  storage.setItem(RECENT_KEY, JSON.stringify(list));
  return list;
}
