import { useEffect, useState } from 'react';
import { CAPTURE_METHODS, SAMPLING_DESIGNS, type ExportFormat, type ExportResult } from '../../shared/api.ts';
import { useClient } from '../lib/use-client.ts';
import { ErrorNotice } from './ErrorNotice.tsx';

const FORMATS: { format: ExportFormat; label: string; about: string }[] = [
  { format: 'csv', label: 'Annotations and decisions (CSV)', about: 'annotations.csv with current names (imports again) and decisions.csv, the whole log' },
  { format: 'camtrap-dp', label: 'Camtrap DP package (GBIF)', about: 'Camtrap DP 1.0: deployments, media, one observation per annotation; checked before it is written' },
  { format: 'wildbook', label: 'Wildbook bulk import (.xlsx, .csv)', about: 'one encounter per annotation, with the photos to upload' },
];

type CaptureMethod = (typeof CAPTURE_METHODS)[number];

/** The catalog's Export menu: a format, then what that format needs (kept as the catalog's settings). */
export function ExportMenu() {
  const client = useClient();
  const [open, setOpen] = useState(false);
  const [format, setFormat] = useState<ExportFormat | null>(null);
  const [outDir, setOutDir] = useState('');
  const [deployments, setDeployments] = useState('');
  const [utcOffset, setUtcOffset] = useState('');
  const [mediaUrl, setMediaUrl] = useState('');
  const [genus, setGenus] = useState('');
  const [epithet, setEpithet] = useState('');
  const [design, setDesign] = useState('');
  const [methods, setMethods] = useState<CaptureMethod[]>([]);
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<ExportResult | null>(null);
  const [error, setError] = useState<Error | null>(null);

  useEffect(() => {
    if (format === null || format === 'csv') return;
    client.call('settings.get').then(
      (settings) => {
        const publishing = settings.publishing;
        setGenus(publishing?.genus ?? '');
        setEpithet(publishing?.specificEpithet ?? '');
        setDesign(publishing?.samplingDesign ?? '');
        setMethods(publishing?.captureMethod ?? []);
      },
      () => undefined,
    );
  }, [client, format]);

  const choose = (chosen: ExportFormat) => {
    setFormat(chosen);
    setOpen(false);
    setResult(null);
    setError(null);
  };

  const run = async () => {
    if (format === null) return;
    setRunning(true);
    setResult(null);
    setError(null);
    try {
      if (format !== 'csv') {
        await client.call('settings.set', {
          genus: genus.trim(),
          specificEpithet: epithet.trim(),
          ...(format === 'camtrap-dp' ? { samplingDesign: design as (typeof SAMPLING_DESIGNS)[number] | '', captureMethod: methods } : {}),
        });
      }
      setResult(
        await client.call('catalog.export', {
          format,
          outDir: outDir.trim() || undefined,
          deployments: format !== 'csv' ? deployments.trim() || undefined : undefined,
          utcOffset: format === 'camtrap-dp' ? utcOffset.trim() || undefined : undefined,
          mediaUrl: format === 'camtrap-dp' ? mediaUrl.trim() || undefined : undefined,
        }),
      );
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setRunning(false);
    }
  };

  const text = (label: string, value: string, set: (value: string) => void, placeholder: string) => (
    <label>
      {label}{' '}
      <input type="text" value={value} onChange={(e) => set(e.target.value)} placeholder={placeholder} spellCheck={false} />
    </label>
  );
  const chosen = FORMATS.find((entry) => entry.format === format);

  return (
    <div className="job export-menu">
      <h2>Export</h2>
      <div className="menu">
        <button type="button" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
          {chosen ? chosen.label : 'Choose a format'} ▾
        </button>
        {open && (
          <ul role="menu" aria-label="Export formats">
            {FORMATS.map((entry) => (
              <li key={entry.format} role="none">
                <button type="button" role="menuitem" onClick={() => choose(entry.format)}>
                  <strong>{entry.label}</strong>
                  <span>{entry.about}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      {format !== null && (
        <form
          className="export-form"
          aria-label={`Export as ${chosen!.label}`}
          onSubmit={(event) => {
            event.preventDefault();
            void run();
          }}
        >
          {text('Folder', outDir, setOutDir, format === 'csv' ? 'export/ in the catalog' : `export/${format}/ in the catalog`)}
          {format !== 'csv' && (
            <>
              {text('Deployments CSV', deployments, setDeployments, 'optional: deploymentID,folder,latitude,longitude')}
              {text('Genus', genus, setGenus, 'Tragelaphus')}
              {text('Specific epithet', epithet, setEpithet, 'angasii')}
            </>
          )}
          {format === 'camtrap-dp' && (
            <>
              {text('UTC offset', utcOffset, setUtcOffset, '+02:00, where EXIF has no zone')}
              <label>
                Sampling design{' '}
                <select value={design} onChange={(e) => setDesign(e.target.value)}>
                  <option value="">choose…</option>
                  {SAMPLING_DESIGNS.map((value) => (
                    <option key={value} value={value}>
                      {value}
                    </option>
                  ))}
                </select>
              </label>
              <fieldset>
                <legend>Capture method</legend>
                {CAPTURE_METHODS.map((value) => (
                  <label key={value}>
                    <input
                      type="checkbox"
                      checked={methods.includes(value)}
                      onChange={(e) => setMethods((current) => (e.target.checked ? [...current, value] : current.filter((m) => m !== value)))}
                    />{' '}
                    {value}
                  </label>
                ))}
              </fieldset>
              {text('Media URL', mediaUrl, setMediaUrl, 'optional: where the photos are published')}
            </>
          )}
          <button type="submit" disabled={running}>
            {running ? 'Exporting…' : 'Export'}
          </button>
        </form>
      )}
      <ErrorNotice error={error} action="Export" />
      {result && (
        <div className="job-result" role="status">
          Wrote {result.annotations} annotations
          {result.media !== undefined ? ` of ${result.media} photos` : ''} to {result.folder}:
          <ul>
            {result.files.map((file) => (
              <li key={file}>{file.split(/[\\/]/).pop()}</li>
            ))}
          </ul>
          {result.notes?.map((note) => <p key={note}>{note}</p>)}
        </div>
      )}
    </div>
  );
}
