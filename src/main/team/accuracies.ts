import { randomUUID } from 'node:crypto';
import type { CatalogStore } from '../catalog/store/catalog-store.ts';
import type { AccuracyEvent } from './events.ts';
import type { TeamLocalStore } from './local-log.ts';
import { readTeamSettings, writeTeamSettings, type PendingAccuracy } from './settings.ts';

/**
 * The reviewers' accuracies people set (a lead weighed higher, a careless session lower) are part of what
 * who is who is derived from, so a team shares them: a setting made here travels as an event, and the
 * newest one the store received for a reviewer is the one every catalog uses. A setting made here
 * waits (pending) until the store has it, so that a sync never undoes it with an older one.
 */

/** What the service reads and writes of the evidence model's settings. */
export interface AccuracySettings {
  /** Every accuracy set here, by reviewer (null: decisions without a name). */
  read: () => Map<string | null, number>;
  /** Sets (null: clears) one; deriving follows. */
  write: (reviewer: string | null, accuracy: number | null) => void;
}

const key = (subject: string | null) => subject ?? '\u0000';

/** The settings made here since the team's last word on them (and not noted as pending yet). */
function changedHere(store: CatalogStore, settings: AccuracySettings): { subject: string | null; accuracy: number | null }[] {
  const team = readTeamSettings(store);
  const synced = new Map(team.accuracies.synced.map(([subject, accuracy]) => [key(subject), accuracy]));
  const current = settings.read();
  const subjects = new Map<string, string | null>([...current.keys(), ...team.accuracies.synced.map(([subject]) => subject)].map((s) => [key(s), s]));
  const changed: { subject: string | null; accuracy: number | null }[] = [];
  for (const [k, subject] of subjects) {
    const now = current.get(subject) ?? null;
    const waiting = team.accuracies.pending.filter((entry) => key(entry.subject) === k).at(-1);
    if (now !== (waiting ? waiting.accuracy : (synced.get(k) ?? null))) changed.push({ subject, accuracy: now });
  }
  return changed;
}

/** Settings made here that the store has not received yet (for the status). */
export function unpushedAccuracies(store: CatalogStore, settings: AccuracySettings): number {
  return readTeamSettings(store).accuracies.pending.length + changedHere(store, settings).length;
}

/** Settings changed here since the team's last word on them become pending events (no network). */
export function notePendingAccuracies(store: CatalogStore, settings: AccuracySettings): PendingAccuracy[] {
  const team = readTeamSettings(store);
  const changed = changedHere(store, settings);
  if (changed.length === 0) return team.accuracies.pending;
  const createdAt = new Date().toISOString();
  const pending = [...team.accuracies.pending, ...changed.map((change) => ({ uid: randomUUID(), ...change, createdAt }))];
  writeTeamSettings(store, { ...team, accuracies: { ...team.accuracies, pending } });
  return pending;
}

/** The pending settings as the store's events. */
export function accuracyEvents(pending: readonly PendingAccuracy[], catalog: string, reviewer: string | null): AccuracyEvent[] {
  return pending.map((entry) => ({ kind: 'accuracy', uid: entry.uid, catalog, reviewer, createdAt: entry.createdAt, subject: entry.subject, accuracy: entry.accuracy }));
}

/**
 * Brings this catalog's settings to what the team's log says (the newest received per reviewer), except
 * where a setting made here is still on its way; answers whether any changed.
 */
export function settleAccuracies(store: CatalogStore, local: TeamLocalStore, settings: AccuracySettings): boolean {
  notePendingAccuracies(store, settings);
  const team = readTeamSettings(store);
  const received = local.receivedEvents('accuracy');
  const receivedUids = new Set(received.map(({ event }) => event.uid));
  const pending = team.accuracies.pending.filter((entry) => !receivedUids.has(entry.uid));
  const waiting = new Set(pending.map((entry) => key(entry.subject)));
  const settled = new Map<string, [string | null, number | null]>();
  for (const { event } of received) settled.set(key(event.subject), [event.subject, event.accuracy]);
  const current = settings.read();
  let changed = false;
  for (const [k, [subject, accuracy]] of settled) {
    if (waiting.has(k) || (current.get(subject) ?? null) === accuracy) continue;
    settings.write(subject, accuracy);
    changed = true;
  }
  writeTeamSettings(store, { ...team, accuracies: { synced: [...settled.values()], pending } });
  return changed;
}
