import { useCallback, useEffect, useRef, useState } from 'react';
import type { Photo } from '../shared/api.ts';
import type { AppInfo } from '../shared/app-api.ts';
import { ErrorBoundary } from './components/ErrorBoundary.tsx';
import { ErrorNotice } from './components/ErrorNotice.tsx';
import { useExplainChoice } from './lib/explain-settings.ts';
import { rememberCatalog } from './lib/queue.ts';
import { storage, useClient } from './lib/use-client.ts';
import { useReview } from './lib/use-review.ts';
import { CatalogView } from './views/CatalogView.tsx';
import { IndividualView } from './views/IndividualView.tsx';
import { PairView } from './views/PairView.tsx';
import { PhotoView } from './views/PhotoView.tsx';
import { QueueView } from './views/QueueView.tsx';
import { SettingsView } from './views/SettingsView.tsx';
import { StripView } from './views/StripView.tsx';
import { StartView } from './views/StartView.tsx';

export type View = 'start' | 'catalog' | 'queue' | 'pair' | 'strip' | 'individual' | 'settings' | 'photo';

const TABS: { view: View; label: string; needsCatalog: boolean }[] = [
  { view: 'start', label: 'Catalogs', needsCatalog: false },
  { view: 'catalog', label: 'Catalog', needsCatalog: true },
  { view: 'queue', label: 'Review queue', needsCatalog: true },
  { view: 'settings', label: 'Settings', needsCatalog: true },
];

export function App() {
  const client = useClient();
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [infoError, setInfoError] = useState<Error | null>(null);
  const [catalog, setCatalog] = useState<string | null>(null);
  const [view, setView] = useState<View>('start');
  const [reviewer, setReviewer] = useState<string | null>(null);
  const review = useReview(catalog);
  // The photo the strip view identifies (one photo against its candidates).
  const [stripFocus, setStripFocus] = useState<number | null>(null);
  // The individual shown at a glance, and the view to go back to from it.
  const [individual, setIndividual] = useState<{ name: string; from: View } | null>(null);
  const openIndividual = useCallback(
    (name: string) => {
      setIndividual({ name, from: view });
      setView('individual');
    },
    [view],
  );
  const [choice, setChoice] = useExplainChoice(catalog);
  // The photo view's photos (the grid's, as filtered when it opened) and the one shown.
  const [photoNav, setPhotoNav] = useState<{ photos: Photo[]; index: number } | null>(null);
  // Box edits make the queue stale; it is loaded again when the photo view is left.
  const boxesEdited = useRef(false);
  const leavePhotos = useCallback(
    (next: View) => {
      if (boxesEdited.current) {
        boxesEdited.current = false;
        void review.reload();
      }
      setView(next);
    },
    [review],
  );

  const loadInfo = useCallback(() => {
    setInfoError(null);
    client.call('app.info').then(setInfo, setInfoError);
  }, [client]);
  useEffect(loadInfo, [loadInfo]);

  useEffect(() => {
    if (!catalog) return;
    // The reviewer's name goes with every decision; a catalog without the setting works without it.
    client.call('settings.get').then(
      (settings) => setReviewer(settings.reviewer || null),
      () => setReviewer(null),
    );
  }, [client, catalog]);

  const opened = useCallback((folder: string) => {
    const store = storage();
    if (store) rememberCatalog(store, folder);
    setCatalog(folder);
    setView('catalog');
  }, []);

  const title = catalog ? catalog.split(/[\\/]/).filter(Boolean).pop() : null;
  useEffect(() => {
    document.title = title ? `${title} — PAIR-X workbench` : 'PAIR-X workbench';
  }, [title]);

  return (
    <div className="app">
      <header className="top-bar">
        <span className="brand">PAIR-X workbench</span>
        <nav aria-label="Views">
          {TABS.map((tab) => (
            <button
              key={tab.view}
              type="button"
              className={
                view === tab.view ||
                (tab.view === 'queue' && (view === 'pair' || view === 'strip' || view === 'individual')) ||
                (tab.view === 'catalog' && view === 'photo')
                  ? 'tab active'
                  : 'tab'
              }
              disabled={tab.needsCatalog && !catalog}
              aria-current={view === tab.view ? 'page' : undefined}
              onClick={() => (view === 'photo' ? leavePhotos(tab.view) : setView(tab.view))}
            >
              {tab.label}
            </button>
          ))}
        </nav>
        <span className="catalog-name" title={catalog ?? undefined}>
          {title ?? 'no catalog open'}
        </span>
      </header>
      <main className="content">
        <ErrorNotice error={infoError} action="Connecting to the workbench" onRetry={loadInfo} />
        <ErrorBoundary where={viewName(view)} resetKey={`${view}|${catalog}|${review.index}`}>
          {view === 'start' && <StartView info={info} catalog={catalog} onOpened={opened} />}
          {view === 'catalog' && catalog && (
            <CatalogView
              catalog={catalog}
              onChanged={() => void review.reload()}
              onIndividual={openIndividual}
              onOpenPhoto={(photos, index) => {
                setPhotoNav({ photos, index });
                setView('photo');
              }}
            />
          )}
          {view === 'photo' && catalog && photoNav && (
            <PhotoView
              photos={photoNav.photos}
              index={photoNav.index}
              onIndex={(index) => setPhotoNav((nav) => nav && { ...nav, index })}
              reviewer={reviewer}
              onChanged={() => (boxesEdited.current = true)}
              onBack={() => leavePhotos('catalog')}
            />
          )}
          {view === 'queue' && catalog && (
            <QueueView
              review={review}
              onOpen={() => setView('pair')}
              onStrip={(annotationId) => {
                setStripFocus(annotationId);
                setView('strip');
              }}
              onIndividual={openIndividual}
              reviewer={reviewer}
            />
          )}
          {view === 'pair' && catalog && (
            <PairView
              review={review}
              choice={choice}
              onChoice={setChoice}
              reviewer={reviewer}
              onBack={() => setView('queue')}
            />
          )}
          {view === 'strip' && catalog && stripFocus !== null && (
            <StripView
              review={review}
              focus={stripFocus}
              onFocus={setStripFocus}
              choice={choice}
              reviewer={reviewer}
              onBack={() => setView('queue')}
            />
          )}
          {view === 'individual' && catalog && individual && (
            <IndividualView
              name={individual.name}
              model={review.model}
              choice={choice}
              reviewer={reviewer}
              onChanged={() => void review.refresh((queue) => Math.min(review.index, Math.max(0, queue.length - 1)))}
              onName={(name) => (name ? setIndividual({ ...individual, name }) : setView(individual.from))}
              onBack={() => setView(individual.from)}
            />
          )}
          {view === 'settings' && catalog && (
            <SettingsView
              mode={info?.mode ?? 'browser'}
              choice={choice}
              onChoice={setChoice}
              onReviewer={setReviewer}
              onModelChanged={() => void review.reload()}
            />
          )}
        </ErrorBoundary>
      </main>
    </div>
  );
}

function viewName(view: View): string {
  return {
    start: 'The start view',
    catalog: 'The catalog view',
    queue: 'The review queue',
    pair: 'The pair view',
    strip: 'The candidate strip',
    individual: 'The individual view',
    settings: 'The settings view',
    photo: 'The photo view',
  }[view];
}
