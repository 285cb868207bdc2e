import { useCallback, useEffect, useState } from 'react';
import type { SyncSummary, TeamStatus } from '../../shared/api.ts';
import type { BridgeArgs } from '../../shared/bridge.ts';
import { useClient } from './use-client.ts';

export interface Team {
  status: TeamStatus | null;
  syncing: boolean;
  error: Error | null;
  /** The last sync of this session, with whether the desktop app keeps the password. */
  last: { summary: SyncSummary; passwordRemembered: boolean } | null;
  sync: (args?: BridgeArgs<'app.sync'>) => Promise<boolean>;
  refresh: () => void;
}

/** The open catalog's team mode: where it stands with its store, and Sync (through the front, which handles the password). */
export function useTeam(catalog: string | null, onSynced: () => void): Team {
  const client = useClient();
  const [status, setStatus] = useState<TeamStatus | null>(null);
  const [syncing, setSyncing] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [last, setLast] = useState<Team['last']>(null);

  const refresh = useCallback(() => {
    if (!catalog) return setStatus(null);
    client.call('team.status').then(setStatus, () => setStatus(null));
  }, [client, catalog]);
  useEffect(() => {
    setLast(null);
    setError(null);
    refresh();
  }, [refresh]);

  const sync = useCallback(
    async (args: BridgeArgs<'app.sync'> = {}) => {
      setSyncing(true);
      setError(null);
      try {
        const result = await client.call('app.sync', args);
        setLast(result);
        onSynced();
        return true;
      } catch (failure) {
        setError(failure as Error);
        return false;
      } finally {
        setSyncing(false);
        refresh();
      }
    },
    [client, onSynced, refresh],
  );

  return { status, syncing, error, last, sync, refresh };
}

/** Whether a sync failed for want of the right password (the dialog then asks for it). */
export const needsPassword = (error: Error | null): boolean => !!error && /password/i.test(error.message);
