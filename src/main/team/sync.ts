import { randomUUID } from 'node:crypto';
import type { Progress, SyncSummary } from '../../shared/api.ts';
import { PairxError } from '../errors.ts';
import type { CatalogStore } from '../catalog/store/catalog-store.ts';
import { connect, parseServerUrl, storeError, type ServerAddress } from './connection.ts';
import type { DecisionEvent, NameEvent, ReceivedEvent, RenameEvent, TeamEvent } from './events.ts';
import { givenNameUid } from './keys.ts';
import { TeamLocalStore, type AnnotationFacts } from './local-log.ts';
import { pullFromStore, pushToStore, type PushBatch } from './server-log.ts';
import { checkServerSchema } from './server-schema.ts';
import { accuracyEvents } from './accuracies.ts';
import { readTeamSettings, writeTeamSettings, type PendingAccuracy } from './settings.ts';

/**
 * One sync's exchange: push what this catalog made that the store has not got, pull what others made, and
 * place their decisions in this catalog's log (or hold them while a photo is missing); deriving who is who
 * is the service's. Every step can be cut short and run again: the store ignores what it has (uids, keys),
 * and a pulled page is appended together with the receipt number it reached.
 */

export interface SyncOptions {
  server?: string;
  reviewer?: string;
  password?: string;
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
}

/** Why a decision from the store is not in this catalog's log. */
export const HELD = {
  photo: 'photo',
  target: 'target',
  /** An undo of a decision another undo took back already: nothing left to do, ever. */
  redundant: 'redundant',
} as const;

/** How many members a rename names, so that a catalog lacking some photos still finds the individual. */
export const RENAME_MEMBERS = 20;

/**
 * This catalog's own events in the order they were made: decisions by log id (an undo always after what
 * it undoes), renames by id, the two merged by time. The store numbers them in this order.
 */
export function madeHereOrder<D extends { createdAt: string }, R extends { createdAt: string }>(
  decisions: readonly D[],
  renames: readonly R[],
): ({ kind: 'decision'; item: D } | { kind: 'rename'; item: R })[] {
  const out: ({ kind: 'decision'; item: D } | { kind: 'rename'; item: R })[] = [];
  let i = 0;
  let j = 0;
  while (i < decisions.length || j < renames.length) {
    if (j >= renames.length || (i < decisions.length && decisions[i].createdAt <= renames[j].createdAt)) out.push({ kind: 'decision', item: decisions[i++] });
    else out.push({ kind: 'rename', item: renames[j++] });
  }
  return out;
}

/** What pushing needs to know about this catalog, read in one snapshot. */
function pushBatch(store: CatalogStore, local: TeamLocalStore, catalogId: string, reviewer: string | undefined, accuracies: readonly PendingAccuracy[]): PushBatch {
  return store.snapshot(() => {
    const annotations = local.annotations();
    const byId = new Map(annotations.map((a) => [a.id, a]));
    const known = local.knownUids();
    const used = new Map<number, AnnotationFacts>();
    const use = (id: number) => {
      const facts = byId.get(id)!;
      used.set(id, facts);
      return facts.key;
    };

    const names: NameEvent[] = [];
    for (const [annotation, name] of local.givenNames()) {
      const key = byId.get(annotation)!.key;
      const uid = givenNameUid(key, name);
      if (known.has(uid)) continue;
      use(annotation);
      names.push({ kind: 'name', uid, catalog: catalogId, reviewer: null, createdAt: new Date().toISOString(), annotation: key, name });
    }

    const decisions = local.unpushedDecisions();
    const withoutReviewer = decisions.filter((d) => d.reviewer === null).length;
    if (withoutReviewer > 0 && !reviewer)
      throw new PairxError(
        'invalid-arguments',
        `${withoutReviewer} decision(s) here were recorded without a reviewer's name; give the name to record on them (--reviewer NAME, or Settings → reviewer)`,
      );
    const features = local.features(decisions.map((d) => d.id));
    const renames = local.unpushedRenames();
    const members = new Map<number, number[]>();
    for (const a of annotations) {
      if (a.individualId === null) continue;
      const list = members.get(a.individualId);
      if (list) list.push(a.id);
      else members.set(a.individualId, [a.id]);
    }

    const events: TeamEvent[] = [...names, ...accuracyEvents(accuracies, catalogId, reviewer ?? null)];
    for (const entry of madeHereOrder(decisions, renames)) {
      if (entry.kind === 'decision') {
        const d = entry.item;
        const event: DecisionEvent = {
          kind: 'decision',
          uid: d.uid,
          catalog: catalogId,
          reviewer: d.reviewer ?? reviewer!,
          createdAt: d.createdAt,
          verdict: d.verdict,
          merge: d.merge,
          note: d.note,
          a: use(d.a),
          b: use(d.b),
          fileA: null,
          fileB: null,
          undoes: d.undoesUid,
          batch: d.batchUid,
          features: features.get(d.id) ?? null,
        };
        events.push(event);
      } else {
        const r = entry.item;
        const ids = (members.get(r.individualId) ?? []).sort((x, y) => (byId.get(x)!.key < byId.get(y)!.key ? -1 : 1)).slice(0, RENAME_MEMBERS);
        const event: RenameEvent = {
          kind: 'rename',
          uid: r.uid,
          catalog: catalogId,
          reviewer: r.reviewer ?? reviewer ?? 'unknown',
          createdAt: r.createdAt,
          members: ids.map(use),
          oldName: r.oldName,
          name: r.newName,
        };
        events.push(event);
      }
    }
    const facts = [...used.values()];
    const photos = new Map(facts.map((f) => [f.sha256, TeamLocalStore.photoRow(f)]));
    return { photos: [...photos.values()], annotations: facts.map(TeamLocalStore.annotationRow), events };
  });
}

/**
 * Places a decision from the store in this catalog's log, or says why it waits. An undo names its target by
 * uid; a second undo of one decision (two reviewers took it back) is recorded as held for good.
 */
export function placeDecision(store: CatalogStore, local: TeamLocalStore, event: DecisionEvent, byKey: ReadonlyMap<string, number>): { decisionId: number } | { held: string } {
  const a = byKey.get(event.a);
  const b = byKey.get(event.b);
  if (a === undefined || b === undefined || a === b) return { held: HELD.photo };
  let undoes: number | null = null;
  if (event.verdict === 'undo') {
    const target = local.decisionIdByUid(event.undoes!);
    if (target === undefined) return { held: HELD.target };
    if (local.isUndone(target)) return { held: HELD.redundant };
    undoes = target;
  }
  // A batch's decisions arrive in the order they were made, its first one before the others.
  const batch = event.batch === null ? null : (local.decisionIdByUid(event.batch) ?? null);
  const decision = store.decisions.append({
    uid: event.uid,
    createdAt: event.createdAt,
    a,
    b,
    verdict: event.verdict,
    merge: event.merge,
    note: event.note,
    reviewer: event.reviewer,
    undoes,
    batch,
    origin: event.catalog,
  });
  if (event.features) {
    const modelId = local.modelIdByIdentity(event.features.model);
    if (modelId !== undefined) store.decisions.recordFeatures(decision.id, { modelId, ...event.features });
  }
  return { decisionId: decision.id };
}

/** Appends one pulled page in one transaction, with the receipt number it reached; answers decisions placed and held. */
function applyPage(store: CatalogStore, local: TeamLocalStore, page: ReceivedEvent[], byKey: ReadonlyMap<string, number>): { applied: number; held: number } {
  return store.transaction(() => {
    let applied = 0;
    let held = 0;
    for (const { seq, event } of page) {
      if (local.hasEvent(event.uid)) continue;
      if (event.kind !== 'decision') {
        local.record({ uid: event.uid, seq, event, decisionId: null, held: null });
        continue;
      }
      const own = local.decisionIdByUid(event.uid);
      if (own !== undefined) {
        local.record({ uid: event.uid, seq, event, decisionId: own, held: null });
        continue;
      }
      const placed = placeDecision(store, local, event, byKey);
      local.record({ uid: event.uid, seq, event, decisionId: 'decisionId' in placed ? placed.decisionId : null, held: 'held' in placed ? placed.held : null });
      if ('decisionId' in placed) applied++;
      else if (placed.held !== HELD.redundant) held++;
    }
    const settings = readTeamSettings(store);
    writeTeamSettings(store, { ...settings, pulledSeq: page[page.length - 1].seq, needsDerive: true });
    return { applied, held };
  });
}

/** Held decisions whose photos (or undone decisions) are here now, placed in receipt order; answers how many. */
export function placeHeld(store: CatalogStore, local: TeamLocalStore): number {
  return store.transaction(() => {
    const waiting = local.held().filter((entry) => entry.held !== HELD.redundant);
    if (waiting.length === 0) return 0;
    const byKey = local.keyIndex(local.annotations());
    let placed = 0;
    for (const entry of waiting) {
      const outcome = placeDecision(store, local, entry.event, byKey);
      if ('decisionId' in outcome) {
        local.settle(entry.uid, outcome.decisionId, null);
        placed++;
      } else if (outcome.held !== entry.held) local.settle(entry.uid, null, outcome.held);
    }
    if (placed > 0) writeTeamSettings(store, { ...readTeamSettings(store), needsDerive: true });
    return placed;
  });
}

export interface SyncOutcome {
  address: ServerAddress;
  pushed: number;
  pulled: number;
  applied: number;
  cancelled: boolean;
}

/** Push and pull (the network part); deriving and the summary are the service's. */
export async function exchange(store: CatalogStore, local: TeamLocalStore, options: SyncOptions, accuracies: readonly PendingAccuracy[]): Promise<SyncOutcome> {
  const settings = readTeamSettings(store);
  const urlText = options.server ?? settings.url;
  if (!urlText) throw new PairxError('invalid-arguments', 'this catalog has no team store yet: sync once with --server postgres://user@host:5432/database');
  const address = parseServerUrl(urlText);
  const report = (phase: string, done: number, total: number | null) => options.onProgress?.({ phase, done, total, item: address.label });
  const client = await connect(address, options.password);
  try {
    const storeId = await checkServerSchema(client, address.label);
    if (settings.storeId && settings.storeId !== storeId)
      throw new PairxError(
        'invalid-arguments',
        `this catalog syncs with another team store (${settings.url ? parseServerUrl(settings.url).label : settings.storeId}); ${address.label} is a different one, and two stores' logs are never mixed`,
      );
    const catalogId = settings.catalogId ?? randomUUID();
    writeTeamSettings(store, { ...settings, url: address.stored, storeId, catalogId });

    const batch = pushBatch(store, local, catalogId, options.reviewer, accuracies);
    report('push', 0, batch.events.length);
    const pushed = await pushToStore(client, batch);
    report('push', batch.events.length, batch.events.length);
    if (options.signal?.aborted) return { address, pushed, pulled: 0, applied: 0, cancelled: true };

    let pulled = 0;
    let applied = 0;
    const byKey = local.keyIndex(local.annotations());
    for (;;) {
      const page = await pullFromStore(client, readTeamSettings(store).pulledSeq);
      if (page.length === 0) break;
      const outcome = applyPage(store, local, page, byKey);
      pulled += page.filter(({ event }) => event.catalog !== catalogId && event.kind !== 'name').length;
      applied += outcome.applied;
      report('pull', pulled, null);
      if (options.signal?.aborted) return { address, pushed, pulled, applied, cancelled: true };
    }
    return { address, pushed, pulled, applied, cancelled: false };
  } catch (error) {
    // This catalog's own errors (SQLite) are not the store's.
    throw String((error as { code?: unknown })?.code ?? '').startsWith('SQLITE') ? error : storeError(address, error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export type { SyncSummary };
