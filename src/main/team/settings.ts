import type { SyncSummary } from '../../shared/api.ts';
import type { CatalogStore } from '../catalog/store/catalog-store.ts';

/**
 * What a catalog keeps about its team store (in its settings table, one JSON value): the URL without a
 * password, the store's and this catalog's ids, how far it has pulled, whether the individuals need
 * deriving again, the reviewers' accuracies the team set, and the last sync. Never a password.
 */
export interface TeamSettings {
  url: string | null;
  storeId: string | null;
  catalogId: string | null;
  /** The store's receipt number this catalog has pulled up to. */
  pulledSeq: number;
  /** Decisions were appended from elsewhere and the individuals are not derived from them yet. */
  needsDerive: boolean;
  /**
   * Reviewers' accuracies as the team's log settles them ([reviewer, accuracy]; null reviewer: decisions
   * without a name), and the ones set here that the store has not received yet (pushed as events).
   */
  accuracies: { synced: [string | null, number | null][]; pending: PendingAccuracy[] };
  lastSync: SyncSummary | null;
}

export interface PendingAccuracy {
  uid: string;
  subject: string | null;
  accuracy: number | null;
  createdAt: string;
}

const KEY = 'team';
const EMPTY: TeamSettings = {
  url: null,
  storeId: null,
  catalogId: null,
  pulledSeq: 0,
  needsDerive: false,
  accuracies: { synced: [], pending: [] },
  lastSync: null,
};

export const readTeamSettings = (store: CatalogStore): TeamSettings => ({ ...EMPTY, ...store.settings.get<Partial<TeamSettings>>(KEY) });

export function writeTeamSettings(store: CatalogStore, settings: TeamSettings): void {
  store.settings.set(KEY, settings);
}
