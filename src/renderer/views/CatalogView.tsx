import { useEffect, useMemo, useState } from 'react';
import type { Annotation } from '../../shared/api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { VirtualGrid } from '../components/VirtualGrid.tsx';
import { annotationLabel, fileName } from '../lib/format.ts';
import { useCall, useClient, useJob } from '../lib/use-client.ts';

interface Props {
  catalog: string;
  /** Called after a job changed the catalog (the review queue reloads). */
  onChanged: () => void;
}

const PAGE = 1000;
type SideFilter = 'all' | 'left' | 'right' | 'unknown';

/** Every annotation of the catalog, loaded a page at a time. */
function useAllAnnotations(generation: number) {
  const client = useClient();
  const [annotations, setAnnotations] = useState<Annotation[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    let live = true;
    (async () => {
      const all: Annotation[] = [];
      for (let offset = 0; ; offset += PAGE) {
        const page = await client.call('catalog.list', { offset, limit: PAGE });
        all.push(...page.annotations);
        if (!live) return;
        if (all.length >= page.total || page.annotations.length === 0) break;
      }
      if (live) setAnnotations(all);
    })().catch((failure: Error) => live && setError(failure));
    return () => {
      live = false;
    };
  }, [client, generation]);
  return { annotations, error };
}

export function CatalogView({ catalog, onChanged }: Props) {
  const client = useClient();
  const [generation, setGeneration] = useState(0);
  const status = useCall('catalog.status', {}, [catalog, generation]);
  const individuals = useCall('individuals.list', {}, [catalog, generation]);
  const models = useCall('models.list', {}, [catalog]);
  const { annotations, error: listError } = useAllAnnotations(generation);
  const importJob = useJob('catalog.import');
  const embedJob = useJob('catalog.embed');
  const [importFolder, setImportFolder] = useState('');
  const [importCsv, setImportCsv] = useState('');
  const [embedModel, setEmbedModel] = useState('');
  const [side, setSide] = useState<SideFilter>('all');
  const [nameFilter, setNameFilter] = useState('');
  const [unnamedOnly, setUnnamedOnly] = useState(false);
  const [selected, setSelected] = useState<Annotation | null>(null);

  const changed = () => {
    setGeneration((g) => g + 1);
    onChanged();
  };

  const filtered = useMemo(() => {
    const needle = nameFilter.trim().toLowerCase();
    return (annotations ?? []).filter((annotation) => {
      if (side === 'unknown' ? annotation.side !== null : side !== 'all' && annotation.side !== side)
        return false;
      if (unnamedOnly && annotation.name !== null) return false;
      if (
        needle &&
        !(annotation.name ?? '').toLowerCase().includes(needle) &&
        !annotation.image.toLowerCase().includes(needle)
      )
        return false;
      return true;
    });
  }, [annotations, side, nameFilter, unnamedOnly]);

  const s = status.data;
  const activeModel = models.data?.find((model) => model.active);

  return (
    <section className="catalog-view">
      <div className="catalog-main">
        <div className="summary" aria-label="Catalog summary">
          <ErrorNotice error={status.error} action="Reading the catalog" onRetry={status.reload} />
          {s && (
            <dl>
              <div>
                <dt>Photos</dt>
                <dd>
                  {s.images}
                  {s.missingImages > 0 && <span className="warning"> ({s.missingImages} missing)</span>}
                </dd>
              </div>
              <div>
                <dt>Annotations</dt>
                <dd>{s.annotations}</dd>
              </div>
              <div>
                <dt>Named</dt>
                <dd>{s.namedAnnotations}</dd>
              </div>
              <div>
                <dt>Individuals</dt>
                <dd>{s.individuals}</dd>
              </div>
              <div>
                <dt>Embedded</dt>
                <dd>
                  {s.embedded.length === 0
                    ? 'not yet'
                    : s.embedded.map((m) => `${m.embedded} (${m.model.split('@')[0]})`).join(', ')}
                </dd>
              </div>
              <div>
                <dt>Decided pairs</dt>
                <dd>{s.decidedPairs}</dd>
              </div>
            </dl>
          )}
        </div>

        <div className="jobs">
          <form
            className="job"
            onSubmit={async (event) => {
              event.preventDefault();
              const result = await importJob.start({
                folder: importFolder.trim() || undefined,
                annotationsCsv: importCsv.trim() || undefined,
              });
              if (result) changed();
            }}
          >
            <h2>Import photos</h2>
            <label>
              Folder{' '}
              <input
                type="text"
                value={importFolder}
                onChange={(e) => setImportFolder(e.target.value)}
                placeholder="the whole catalog folder"
                spellCheck={false}
              />
            </label>
            <label>
              Names CSV{' '}
              <input
                type="text"
                value={importCsv}
                onChange={(e) => setImportCsv(e.target.value)}
                placeholder="optional: image,name,side"
                spellCheck={false}
              />
            </label>
            <button type="submit" disabled={importJob.running}>
              Import
            </button>
            {importJob.running && (
              <ProgressBar label="Import" progress={importJob.progress} onCancel={importJob.cancel} />
            )}
            <ErrorNotice error={importJob.error} action="Import" />
            {importJob.result && (
              <p className="job-result">
                {importJob.result.cancelled ? 'Cancelled. ' : ''}
                {importJob.result.added} added, {importJob.result.unchanged} unchanged,{' '}
                {importJob.result.moved} moved, {importJob.result.failed} failed
                {importJob.result.issues.length > 0 &&
                  ` — ${importJob.result.issues.length} issue(s): ${importJob.result.issues
                    .slice(0, 3)
                    .map((i) => `${fileName(i.file)}: ${i.message}`)
                    .join('; ')}`}
              </p>
            )}
          </form>
          <form
            className="job"
            onSubmit={async (event) => {
              event.preventDefault();
              const chosen = models.data?.find((model) => model.id === embedModel);
              const result = await embedJob.start({ model: chosen?.path });
              if (result) changed();
            }}
          >
            <h2>Compute embeddings</h2>
            <label>
              Model
              <select value={embedModel} onChange={(e) => setEmbedModel(e.target.value)}>
                <option value="">{activeModel ? `active: ${activeModel.name}` : 'the default model'}</option>
                {models.data?.map((model) => (
                  <option key={model.id} value={model.id}>
                    {model.name}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" disabled={embedJob.running}>
              Embed
            </button>
            {embedJob.running && (
              <ProgressBar label="Embedding" progress={embedJob.progress} onCancel={embedJob.cancel} />
            )}
            <ErrorNotice error={embedJob.error} action="Embedding" />
            {embedJob.result && (
              <p className="job-result">
                {embedJob.result.cancelled ? 'Cancelled. ' : ''}
                {embedJob.result.embedded} embedded, {embedJob.result.skipped} already done,{' '}
                {embedJob.result.failed} failed
              </p>
            )}
          </form>
        </div>

        <div className="filters" role="group" aria-label="Filters">
          <label>
            Side
            <select value={side} onChange={(e) => setSide(e.target.value as SideFilter)}>
              <option value="all">all</option>
              <option value="left">left</option>
              <option value="right">right</option>
              <option value="unknown">unknown</option>
            </select>
          </label>
          <label>
            Name or file{' '}
            <input
              type="search"
              value={nameFilter}
              onChange={(e) => setNameFilter(e.target.value)}
              placeholder="filter"
            />
          </label>
          <label className="check">
            <input type="checkbox" checked={unnamedOnly} onChange={(e) => setUnnamedOnly(e.target.checked)} />{' '}
            unnamed only
          </label>
          <span className="muted">
            {annotations ? `${filtered.length} of ${annotations.length} annotations` : 'loading…'}
          </span>
        </div>
        <ErrorNotice error={listError} action="Listing annotations" />
        <VirtualGrid
          label="Annotations"
          items={filtered}
          cellWidth={164}
          cellHeight={178}
          keyOf={(annotation) => annotation.id}
          render={(annotation) => (
            <button
              type="button"
              className={selected?.id === annotation.id ? 'thumb selected' : 'thumb'}
              onClick={() => setSelected(annotation)}
              title={annotation.image}
            >
              <span className="thumb-image">
                {annotation.thumbnail ? (
                  <img
                    src={client.mediaUrl({ kind: 'thumb', annotationId: annotation.id })}
                    alt={annotationLabel(annotation)}
                    loading="lazy"
                  />
                ) : (
                  <span className="muted">no thumbnail</span>
                )}
              </span>
              <span className="thumb-name">{annotation.name ?? <em>unnamed</em>}</span>
              <span className="thumb-meta">
                #{annotation.id} · {annotation.side ?? 'side ?'}
              </span>
            </button>
          )}
        />
      </div>

      <aside className="catalog-side">
        {selected && (
          <div className="annotation-detail">
            <h2>{selected.name ?? 'Unnamed'}</h2>
            <img
              src={client.mediaUrl({ kind: 'photo', annotationId: selected.id })}
              alt={annotationLabel(selected)}
            />
            <dl className="facts">
              <dt>File</dt>
              <dd>{selected.image}</dd>
              <dt>Side</dt>
              <dd>{selected.side ?? 'unknown'}</dd>
              <dt>Captured</dt>
              <dd>{selected.capturedAt ?? 'unknown'}</dd>
            </dl>
          </div>
        )}
        <h2>Individuals</h2>
        <ErrorNotice error={individuals.error} action="Listing individuals" onRetry={individuals.reload} />
        <ul className="individuals" aria-label="Individuals">
          {individuals.data?.map((individual) => (
            <li key={individual.id}>
              <button type="button" className="link" onClick={() => setNameFilter(individual.name)}>
                {individual.name}
              </button>
              <span className="muted">{individual.annotations.length}</span>
            </li>
          ))}
          {individuals.data?.length === 0 && <li className="muted">No named individuals yet.</li>}
        </ul>
      </aside>
    </section>
  );
}
