import type { DecideArgs, DecideResult, Dispute, SyncSummary, TeamStatus } from '../../shared/api.ts';
import type { CatalogStore } from '../catalog/store/catalog-store.ts';
import { parseServerUrl } from './connection.ts';
import { findDisputes } from './disputes.ts';
import { fileNameOf } from './keys.ts';
import { TeamLocalStore } from './local-log.ts';
import { derive, rederive } from './rederive.ts';
import { readTeamSettings, writeTeamSettings } from './settings.ts';
import { exchange, placeHeld, type SyncOptions } from './sync.ts';

/**
 * Team mode for one catalog: sync with the team store, the disputes in its log, a lead's settling answer.
 * The Workbench composes it; it knows the catalog's store and, through `hooks`, the two things the
 * workbench owns: recording a decision (with its calibration features) and deriving who is who from the
 * log (issue 16's resolver once it lands; until then this service's replay).
 */
export interface TeamHooks {
  /** Records a decision as `decisions.decide` does. */
  decide: (args: DecideArgs) => DecideResult;
  /** Derives the individuals from the log; answers how many annotations changed. */
  resolveIdentities?: () => number;
}

export class TeamService {
  private readonly local: TeamLocalStore;

  constructor(
    private readonly store: CatalogStore,
    private readonly hooks: TeamHooks,
  ) {
    this.local = new TeamLocalStore(store.db);
  }

  /** Derives the individuals from the log and notes that this catalog's are derived from now on. */
  private resolve(): number {
    const changed = this.hooks.resolveIdentities ? this.hooks.resolveIdentities() : rederive(this.store, this.local);
    const settings = readTeamSettings(this.store);
    writeTeamSettings(this.store, { ...settings, needsDerive: false, derived: true });
    return changed;
  }

  status(): TeamStatus {
    const settings = readTeamSettings(this.store);
    const counts = this.local.counts();
    return {
      server: settings.url ? parseServerUrl(settings.url).label : null,
      url: settings.url,
      storeId: settings.storeId,
      lastSync: settings.lastSync,
      unpushed: counts.unpushedDecisions + counts.unpushedRenames,
      held: this.local.held().filter((entry) => entry.held !== 'redundant').length,
      disputes: this.disputes().length,
    };
  }

  async sync(options: SyncOptions = {}): Promise<SyncSummary> {
    const started = performance.now();
    if (readTeamSettings(this.store).needsDerive) this.resolve(); // a sync cut short before it derived
    const outcome = await exchange(this.store, this.local, options);
    const placed = placeHeld(this.store, this.local);
    options.onProgress?.({ phase: 'derive', done: 0, total: null });
    const changed = readTeamSettings(this.store).needsDerive ? this.resolve() : 0;
    const summary: SyncSummary = {
      server: outcome.address.label,
      at: new Date().toISOString(),
      pushed: outcome.pushed,
      pulled: outcome.pulled,
      applied: outcome.applied + placed,
      held: this.local.held().filter((entry) => entry.held !== 'redundant').length,
      changed,
      disputes: this.disputes().length,
      seconds: (performance.now() - started) / 1000,
      cancelled: outcome.cancelled,
    };
    writeTeamSettings(this.store, { ...readTeamSettings(this.store), lastSync: summary });
    return summary;
  }

  /** After an import: others' decisions waiting for these photos join the log. No network. */
  placeHeld(): number {
    const placed = placeHeld(this.store, this.local);
    if (placed > 0) this.resolve();
    return placed;
  }

  /**
   * After an undo: in a catalog whose individuals are derived from a merged log, the decision taken back
   * may sit anywhere in it, so the individuals are derived again rather than restored from its effects.
   */
  afterUndo(): void {
    if (readTeamSettings(this.store).derived) this.resolve();
  }

  /**
   * Open disputes, from the raw detection over the merged log (disputes.ts). Once issue 16 lands, its
   * evidence-settled disagreements (`disputes.list` on that branch) are to replace the `pair` and
   * `contradiction` kinds here; the team-only kinds (unconfirmed merges, names, renames) stay.
   */
  disputes(): Dispute[] {
    return this.store.snapshot(() => {
      const { facts, result } = derive(this.store, this.local);
      const byId = new Map(facts.annotations.map((a) => [a.id, a]));
      return findDisputes({
        decisions: facts.decisions,
        nameOf: result.nameOf,
        given: facts.given,
        unconfirmedMerges: result.unconfirmedMerges,
        refusedRenames: result.refusedRenames,
        nameConflicts: facts.nameConflicts,
        fileOf: (id) => fileNameOf(byId.get(id)?.path ?? `#${id}`),
        keyOf: (id) => byId.get(id)?.key ?? `#${id}`,
      });
    });
  }

  /**
   * A lead's answer on a disputed pair: recorded as a decision with the lead's name, and the answers in
   * force on the same pair that it overrules are taken back by undo entries (also the lead's), all in one
   * transaction; then the individuals are derived from the log. With issue 16's evidence model the lead's
   * answer will weigh by the lead's accuracy instead, and taking the others back will not be needed.
   */
  settle(args: DecideArgs): DecideResult {
    return this.store.transaction(() => {
      const result = this.hooks.decide(args);
      if ('conflict' in result || args.verdict === 'unsure') return result;
      const overruled = args.verdict === 'same' ? 'different' : 'same';
      const lead = args.reviewer ?? null;
      for (const decision of this.local.decisionsInForce()) {
        const samePair = (decision.a === args.a && decision.b === args.b) || (decision.a === args.b && decision.b === args.a);
        if (!samePair || decision.verdict !== overruled) continue;
        this.store.decisions.append({
          a: decision.a,
          b: decision.b,
          verdict: 'undo',
          merge: null,
          note: `overruled by ${lead ?? 'a lead'}'s "${args.verdict}"`,
          reviewer: lead,
          undoes: decision.id,
        });
      }
      this.resolve();
      return { ...result, decision: this.store.decisions.byId(result.decision.id)! };
    });
  }
}
