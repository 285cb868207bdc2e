import { useState } from 'react';
import type { AppInfo } from '../../shared/app-api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { forgetCatalog, recentCatalogs } from '../lib/queue.ts';
import { storage, useClient } from '../lib/use-client.ts';

interface Props {
  info: AppInfo | null;
  catalog: string | null;
  onOpened: (folder: string) => void;
}

/** Open or create a catalog by its folder (Electron), or open the one the server serves (browser). */
export function StartView({ info, catalog, onOpened }: Props) {
  const client = useClient();
  const [folder, setFolder] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [recent, setRecent] = useState(() => {
    const store = storage();
    return store ? recentCatalogs(store) : [];
  });

  const open = async (target: string, create: boolean) => {
    if (!target.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const result = await client.call('app.openCatalog', { folder: target.trim(), create });
      onOpened(result.catalog);
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setBusy(false);
    }
  };

  if (!info) return <p className="muted">Connecting…</p>;

  if (!info.canOpenCatalogs) {
    const served = info.catalog;
    return (
      <section className="start">
        <h1>Catalog</h1>
        <p>This browser window works on the catalog the local server was started with:</p>
        <p className="path">{served ?? 'none'}</p>
        {served && (
          <button
            type="button"
            className="primary"
            autoFocus
            onClick={() => void open(served, false)}
            disabled={busy}
          >
            {catalog === served ? 'Go to catalog' : 'Open catalog'}
          </button>
        )}
        <ErrorNotice error={error} action="Opening the catalog" />
        <p className="muted">To work on another folder, start `npm run serve -- &lt;folder&gt;` for it.</p>
      </section>
    );
  }

  return (
    <section className="start">
      <h1>Open a catalog</h1>
      <p className="muted">
        A catalog is a folder of photos; the workbench keeps its data in a hidden .pairx folder inside it.
      </p>
      <form
        className="folder-form"
        onSubmit={(event) => {
          event.preventDefault();
          void open(folder, false);
        }}
      >
        <label>
          Folder
          <input
            type="text"
            value={folder}
            onChange={(event) => setFolder(event.target.value)}
            placeholder="/path/to/photos"
            autoFocus
            spellCheck={false}
          />
        </label>
        <button
          type="button"
          onClick={async () => {
            const chosen = await client
              .call('app.chooseFolder')
              .catch((failure: Error) => (setError(failure), null));
            if (chosen?.folder) setFolder(chosen.folder);
          }}
        >
          Choose…
        </button>
        <button type="submit" className="primary" disabled={busy || !folder.trim()}>
          Open
        </button>
        <button type="button" disabled={busy || !folder.trim()} onClick={() => void open(folder, true)}>
          Create catalog here
        </button>
      </form>
      <ErrorNotice error={error} action="Opening the catalog" />
      <h2>Recent catalogs</h2>
      {recent.length === 0 ? (
        <p className="muted">None yet.</p>
      ) : (
        <ul className="recent">
          {recent.map((path) => (
            <li key={path}>
              <button type="button" className="link" onClick={() => void open(path, false)} disabled={busy}>
                {path}
              </button>
              <button
                type="button"
                className="small"
                aria-label={`Forget ${path}`}
                onClick={() => {
                  const store = storage();
                  if (store) setRecent(forgetCatalog(store, path));
                }}
              >
                Forget
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
