import { useState } from 'react';
import { fileName } from '../lib/format.ts';
import { useJob } from '../lib/use-client.ts';
import { DetectionsResult } from './DetectionsResult.tsx';
import { ErrorNotice } from './ErrorNotice.tsx';
import { ProgressBar } from './ProgressBar.tsx';

/** How the summary names the formats the workbench recognised (formats/registry.ts's readers). */
const FORMAT_NAMES: Record<string, string> = {
  'pairx-csv': 'annotations CSV',
  coco: 'COCO (Wildbook/WBIA)',
  'wildlife-datasets': 'wildlife-datasets metadata',
  megadetector: 'MegaDetector batch output',
};

/**
 * The import job: a folder (default: the whole catalog) and an optional annotations file in any format
 * the workbench recognises by content, with progress and its summary.
 */
export function ImportForm({ onImported }: { onImported: () => void }) {
  const importJob = useJob('catalog.import');
  const [importFolder, setImportFolder] = useState('');
  const [importCsv, setImportCsv] = useState('');
  // A detector's output (MegaDetector batch output) and its confidence threshold (empty: the file's own).
  const [detections, setDetections] = useState('');
  const [threshold, setThreshold] = useState('');
  return (
    <form
      className="job"
      onSubmit={async (event) => {
        event.preventDefault();
        const result = await importJob.start({
          folder: importFolder.trim() || undefined,
          annotations: importCsv.trim() || undefined,
          detections: detections.trim() || undefined,
          threshold: threshold.trim() === '' ? undefined : Number(threshold),
        });
        if (result) onImported();
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
        Annotations file{' '}
        <input
          type="text"
          value={importCsv}
          onChange={(e) => setImportCsv(e.target.value)}
          placeholder="optional: CSV, COCO JSON (Wildbook/WBIA), wildlife-datasets CSV"
          title="this project's CSV (image, name, side, x, y, w, h, theta), COCO as Wildbook and WBIA export it, or wildlife-datasets metadata; recognised by content"
          spellCheck={false}
        />
      </label>
      <label>
        Detections{' '}
        <input
          type="text"
          value={detections}
          onChange={(e) => setDetections(e.target.value)}
          placeholder="optional: MegaDetector .json"
          spellCheck={false}
        />
      </label>
      <label>
        Threshold{' '}
        <input
          type="number"
          min={0}
          max={1}
          step={0.05}
          value={threshold}
          onChange={(e) => setThreshold(e.target.value)}
          placeholder="file's"
          className="threshold"
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
          {importJob.result.added} added, {importJob.result.unchanged} unchanged, {importJob.result.moved}{' '}
          moved, {importJob.result.failed} failed
          {importJob.result.annotationFiles?.map(
            (file) => `; ${fileName(file.file)} read as ${FORMAT_NAMES[file.format] ?? file.format}: ${file.rows} annotations, ${importJob.result!.annotationsAdded} added`,
          )}
          {importJob.result.issues.length > 0 &&
            ` — ${importJob.result.issues.length} issue(s): ${importJob.result.issues
              .slice(0, 3)
              .map((i) => `${fileName(i.file)}: ${i.message}`)
              .join('; ')}`}
        </p>
      )}
      {importJob.result?.detections && <DetectionsResult detections={importJob.result.detections} />}
    </form>
  );
}
