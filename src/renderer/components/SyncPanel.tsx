import { useEffect, useRef, useState } from 'react';
import type { FrontMode } from '../../shared/app-api.ts';
import { needsPassword, type Team } from '../lib/use-team.ts';

interface Props {
  team: Team;
  mode: FrontMode;
  /** The reviewer's name from Settings, offered for decisions recorded without one. */
  reviewer: string | null;
}

const clock = (iso: string) => new Date(iso).toTimeString().slice(0, 5);

/**
 * The top bar's team mode: where the catalog stands with its team store and a Sync button. A catalog
 * without a store, or a sync the store refused for its password, opens the sync form; reviewing never
 * waits for it.
 */
export function SyncPanel({ team, mode, reviewer }: Props) {
  const { status, syncing, error, last } = team;
  const [formOpen, setFormOpen] = useState(false);
  const configured = Boolean(status?.server);

  useEffect(() => {
    if (needsPassword(error)) setFormOpen(true);
  }, [error]);

  const summary = last?.summary ?? status?.lastSync ?? null;
  const state = syncing
    ? 'Syncing…'
    : error
      ? `Sync failed: ${error.message}`
      : !configured
        ? 'Team: not set up'
        : [
            summary ? `synced ${clock(summary.at)} (↑${summary.pushed} ↓${summary.pulled})` : 'not synced yet',
            status && status.unpushed > 0 ? `${status.unpushed} to push` : null,
            status && status.held > 0 ? `${status.held} held` : null,
            status && status.disputes > 0 ? `${status.disputes} dispute${status.disputes === 1 ? '' : 's'}` : null,
          ]
            .filter(Boolean)
            .join(' · ');

  return (
    <div className="sync-panel" aria-label="Team sync">
      <span className={error ? 'sync-state sync-error' : 'sync-state'} role="status" title={error?.message ?? status?.server ?? undefined}>
        {state}
      </span>
      <button
        type="button"
        className="primary"
        disabled={syncing}
        onClick={() => (configured ? void team.sync({ reviewer: reviewer ?? undefined }) : setFormOpen(true))}
      >
        Sync
      </button>
      {configured && (
        <button type="button" className="link" onClick={() => setFormOpen(true)} title="server, reviewer, password">
          Server…
        </button>
      )}
      {formOpen && (
        <SyncDialog
          mode={mode}
          team={team}
          initialServer={status?.url ?? ''}
          initialReviewer={reviewer ?? ''}
          onClose={() => setFormOpen(false)}
        />
      )}
    </div>
  );
}

function SyncDialog({
  mode,
  team,
  initialServer,
  initialReviewer,
  onClose,
}: {
  mode: FrontMode;
  team: Team;
  initialServer: string;
  initialReviewer: string;
  onClose: () => void;
}) {
  const [server, setServer] = useState(initialServer);
  const [reviewer, setReviewer] = useState(initialReviewer);
  // The catalog's settings and status may answer after the form opened: they fill what was not typed yet.
  const typed = useRef({ server: false, reviewer: false });
  useEffect(() => {
    if (!typed.current.server) setServer(initialServer);
  }, [initialServer]);
  useEffect(() => {
    if (!typed.current.reviewer) setReviewer(initialReviewer);
  }, [initialReviewer]);
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  const passwordField = useRef<HTMLInputElement>(null);
  useEffect(() => {
    (initialServer ? passwordField : first).current?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        event.stopImmediatePropagation();
        onClose();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [initialServer, onClose]);

  return (
    <div className="modal-backdrop">
      <form
        className="modal sync-form"
        role="dialog"
        aria-modal="true"
        aria-labelledby="sync-title"
        // Keys typed here are the form's, not the review's (S, D, U…).
        onKeyDown={(event) => event.stopPropagation()}
        onSubmit={async (event) => {
          event.preventDefault();
          const done = await team.sync({
            server: server.trim() || undefined,
            reviewer: reviewer.trim() || undefined,
            password: password || undefined,
            remember,
          });
          if (done) onClose();
        }}
      >
        <h2 id="sync-title">Sync with the team store</h2>
        <p className="hint">
          A PostgreSQL database the team shares (README, “Team mode”). Decisions are recorded offline and
          exchanged here; the password is {mode === 'electron' ? 'kept, if you ask, encrypted by the operating system' : 'used for this sync only (or the server’s PGPASSWORD)'}, never in the catalog.
        </p>
        <label>
          Server{' '}
          <input
            ref={first}
            type="text"
            value={server}
            onChange={(e) => {
              typed.current.server = true;
              setServer(e.target.value);
            }}
            placeholder="postgres://reviewer@lab-server:5432/pairx?sslmode=verify-full"
            spellCheck={false}
            required
          />
        </label>
        <label>
          Reviewer{' '}
          <input type="text" value={reviewer} onChange={(e) => {
              typed.current.reviewer = true;
              setReviewer(e.target.value);
            }} placeholder="your name, recorded with your decisions" />
        </label>
        <label>
          Password{' '}
          <input ref={passwordField} type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" />
        </label>
        {mode === 'electron' && (
          <label className="check">
            <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} /> Remember the password on this computer
          </label>
        )}
        {team.error && (
          <p className="error-notice" role="alert">
            {team.error.message}
          </p>
        )}
        <div className="modal-buttons">
          <button type="submit" className="primary" disabled={team.syncing}>
            {team.syncing ? 'Syncing…' : 'Sync'}
          </button>
          <button type="button" onClick={onClose}>
            Cancel (Esc)
          </button>
        </div>
      </form>
    </div>
  );
}
