import type { DetectionsSummary } from '../../shared/api.ts';
import { fileName } from '../lib/format.ts';

/** What an import made of a detector's output: boxes added, what was left out, photos with no animal. */
export function DetectionsResult({ detections }: { detections: DetectionsSummary }) {
  const { noAnimal } = detections;
  return (
    <div className="job-result detections-result" aria-label="Detections">
      <p>
        {fileName(detections.file)} (MegaDetector {detections.formatVersion}, threshold {detections.threshold}):{' '}
        <strong>{detections.animalBoxes}</strong> animal boxes added; {detections.belowThreshold} below the threshold and{' '}
        {detections.otherCategories} persons or vehicles left out
        {detections.failed > 0 && `; the detector failed on ${detections.failed} photos`}
        {detections.severalAnimals.length > 0 && `; ${detections.severalAnimals.length} photos with several animals`}.
      </p>
      {noAnimal.length > 0 && (
        <details>
          <summary>
            {noAnimal.length} photo{noAnimal.length === 1 ? '' : 's'} with no animal (imported with no annotation; the grid's
            photos, “no animal marked”, lists them)
          </summary>
          <ul>
            {noAnimal.slice(0, 50).map((path) => (
              <li key={path}>{path}</li>
            ))}
            {noAnimal.length > 50 && <li>… and {noAnimal.length - 50} more</li>}
          </ul>
        </details>
      )}
    </div>
  );
}
