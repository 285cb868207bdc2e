import type { Dispute, EvidenceDispute, SyncSummary, TeamStatus } from '../../shared/api.ts';
import type { CatalogStore } from '../catalog/store/catalog-store.ts';
import type { DecisionInForceRow } from '../catalog/store/decisions.ts';
import { parseServerUrl } from './connection.ts';
import { findDisputes } from './disputes.ts';
import { fileNameOf } from './keys.ts';
import { TeamLocalStore } from './local-log.ts';
import { notePendingAccuracies, settleAccuracies, unpushedAccuracies, type AccuracySettings } from './accuracies.ts';
import { applyGivenNames, applyTeamNames, teamGivenNames, teamNames } from './names.ts';
import { readTeamSettings, writeTeamSettings } from './settings.ts';
import { exchange, placeHeld, type SyncOptions } from './sync.ts';

/**
 * Team mode for one catalog: sync with the team store, and the disputes in the team's log. The Workbench
 * composes it; through `hooks` it uses what the evidence model owns: deriving who is who from the whole
 * log (the same partition in every catalog with the same log) and the disagreements the evidence has not
 * settled. What the resolver does not derive travels on top of it here: names people gave (before
 * deriving, as its seeds) and renames (after it).
 */
export interface TeamHooks {
  /** Derives every annotation's individual from the whole log; answers how many changed. */
  resolveIdentities: () => number;
  /** The evidence's open disagreements, or null where nothing is embedded to find them with. */
  disputes: () => Promise<EvidenceDispute[] | null>;
  /** The reviewers' accuracies people set, which the team shares. */
  accuracies: AccuracySettings;
}

/** The order a team's catalogs share for the evidence's ties (ranking/tie-order.ts): photo keys, decision uids. */
export interface TeamTieOrder {
  annotationRanks(ids: readonly number[]): Map<number, number>;
  decisionKey(row: DecisionInForceRow): string;
}

export class TeamService {
  private readonly local: TeamLocalStore;

  constructor(
    private readonly store: CatalogStore,
    private readonly hooks: TeamHooks,
  ) {
    this.local = new TeamLocalStore(store.db);
  }

  /** In a catalog that syncs with a team store, ties go by what every catalog of the team shares. */
  tieOrder(): TeamTieOrder | null {
    if (readTeamSettings(this.store).storeId === null) return null;
    return { annotationRanks: (ids) => this.local.keyRanks(ids), decisionKey: (row) => row.uid };
  }

  /**
   * Who is who from the team's log: the reviewers' accuracies and the names people gave as the team settled
   * them, the evidence model's derivation of the whole log, then the team's renames; answers how many
   * annotations changed individual.
   */
  private resolve(): number {
    return this.store.transaction(() => {
      settleAccuracies(this.store, this.local, this.hooks.accuracies);
      applyGivenNames(this.store, this.local);
      const changed = this.hooks.resolveIdentities() + applyTeamNames(this.store, this.local);
      writeTeamSettings(this.store, { ...readTeamSettings(this.store), needsDerive: false });
      return changed;
    });
  }

  async status(): Promise<TeamStatus> {
    const settings = readTeamSettings(this.store);
    const counts = this.local.counts();
    const evidence = await this.hooks.disputes();
    return {
      server: settings.url ? parseServerUrl(settings.url).label : null,
      url: settings.url,
      storeId: settings.storeId,
      lastSync: settings.lastSync,
      unpushed: counts.unpushedDecisions + counts.unpushedRenames + unpushedAccuracies(this.store, this.hooks.accuracies),
      held: this.local.held().filter((entry) => entry.held !== 'redundant').length,
      disputes: this.listDisputes(evidence).length,
      answersChecked: evidence !== null,
    };
  }

  async sync(options: SyncOptions = {}): Promise<SyncSummary> {
    const started = performance.now();
    if (readTeamSettings(this.store).needsDerive) this.resolve(); // a sync cut short before it derived
    const outcome = await exchange(this.store, this.local, options, notePendingAccuracies(this.store, this.hooks.accuracies));
    const placed = placeHeld(this.store, this.local);
    options.onProgress?.({ phase: 'derive', done: 0, total: null });
    // Whatever came in or went out, this catalog ends where every catalog with the same log ends.
    const changed = outcome.pushed + outcome.pulled + placed > 0 || readTeamSettings(this.store).needsDerive ? this.resolve() : 0;
    const summary: SyncSummary = {
      server: outcome.address.label,
      at: new Date().toISOString(),
      pushed: outcome.pushed,
      pulled: outcome.pulled,
      applied: outcome.applied + placed,
      held: this.local.held().filter((entry) => entry.held !== 'redundant').length,
      changed,
      disputes: (await this.disputes()).length,
      seconds: (performance.now() - started) / 1000,
      cancelled: outcome.cancelled,
    };
    writeTeamSettings(this.store, { ...readTeamSettings(this.store), lastSync: summary });
    return summary;
  }

  /** After an import: others' decisions waiting for these photos join the log, and who is who is derived again. No network. */
  placeHeld(): number {
    const placed = placeHeld(this.store, this.local);
    if (placed > 0) this.resolve();
    return placed;
  }

  /** Open disputes: the evidence's disagreements, names given twice, renames refused. */
  async disputes(): Promise<Dispute[]> {
    return this.listDisputes(await this.hooks.disputes());
  }

  private listDisputes(evidence: EvidenceDispute[] | null): Dispute[] {
    return this.store.snapshot(() => {
      const annotations = this.local.annotations();
      const byKey = this.local.keyIndex(annotations);
      const byId = new Map(annotations.map((a) => [a.id, a]));
      return findDisputes({
        evidence,
        nameConflicts: teamGivenNames(this.local, byKey).conflicts,
        refusedRenames: teamNames(this.store, this.local).refused,
        fileOf: (id) => fileNameOf(byId.get(id)?.path ?? `#${id}`),
        keyOf: (id) => byId.get(id)?.key ?? `#${id}`,
      });
    });
  }
}
