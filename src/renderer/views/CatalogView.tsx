import { useMemo, useState } from 'react';
import type { Annotation, Photo } from '../../shared/api.ts';
import { AnnotationDetail } from '../components/AnnotationDetail.tsx';
import { AnnotationFilters } from '../components/AnnotationFilters.tsx';
import { AnnotationThumb } from '../components/AnnotationThumb.tsx';
import { CatalogSummary } from '../components/CatalogSummary.tsx';
import { EmbedForm } from '../components/EmbedForm.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { ExportMenu } from '../components/ExportMenu.tsx';
import { ImportForm } from '../components/ImportForm.tsx';
import { IndividualsList } from '../components/IndividualsList.tsx';
import { PhotoThumb } from '../components/PhotoThumb.tsx';
import { VirtualGrid } from '../components/VirtualGrid.tsx';
import { filterAnnotations, NO_FILTER, type AnnotationFilter } from '../lib/annotation-filter.ts';
import { useAllAnnotations } from '../lib/use-annotations.ts';
import { useCall, useClient } from '../lib/use-client.ts';
import { usePhotos, type AnimalsFilter } from '../lib/use-photos.ts';

interface Props {
  catalog: string;
  /** Called after a job changed the catalog (the review queue reloads). */
  onChanged: () => void;
  /** One individual at a glance. */
  onIndividual: (name: string) => void;
  /** Opens the photo view on photos[index], stepping through `photos`. */
  onOpenPhoto: (photos: Photo[], index: number) => void;
}

type GridMode = 'annotations' | 'photos';

/** The open catalog: its summary, the import and embedding jobs, the filtered thumbnail grid, individuals. */
export function CatalogView({ catalog, onChanged, onIndividual, onOpenPhoto }: Props) {
  const client = useClient();
  const [generation, setGeneration] = useState(0);
  const [mode, setMode] = useState<GridMode>('annotations');
  const [animals, setAnimals] = useState<AnimalsFilter>('any');
  const photoList = usePhotos(animals, generation, mode === 'photos');
  const [openError, setOpenError] = useState<Error | null>(null);
  const status = useCall('catalog.status', {}, [catalog, generation]);
  const individuals = useCall('individuals.list', {}, [catalog, generation]);
  const models = useCall('models.list', {}, [catalog]);
  const { annotations, error: listError } = useAllAnnotations(generation);
  const [filter, setFilter] = useState<AnnotationFilter>(NO_FILTER);
  const [selected, setSelected] = useState<Annotation | null>(null);

  const changed = () => {
    setGeneration((g) => g + 1);
    onChanged();
  };
  const changeFilter = (change: Partial<AnnotationFilter>) => setFilter((f) => ({ ...f, ...change }));
  const filtered = useMemo(() => filterAnnotations(annotations ?? [], filter), [annotations, filter]);

  /** The photo view on an annotation's photo, stepping through every photo of the catalog. */
  const openPhotoOf = async (annotation: Annotation) => {
    setOpenError(null);
    try {
      const all: Photo[] = [];
      for (let offset = 0; ; offset += 1000) {
        const page = await client.call('catalog.photos', { offset, limit: 1000 });
        all.push(...page.photos);
        if (all.length >= page.total || page.photos.length === 0) break;
      }
      onOpenPhoto(all, Math.max(0, all.findIndex((photo) => photo.id === annotation.imageId)));
    } catch (failure) {
      setOpenError(failure as Error);
    }
  };

  return (
    <section className="catalog-view">
      <div className="catalog-main">
        <CatalogSummary status={status.data} error={status.error} onRetry={status.reload} />
        <div className="jobs">
          <ImportForm onImported={changed} />
          <EmbedForm models={models.data} onEmbedded={changed} />
          <ExportMenu />
        </div>
        <div className="filters grid-mode">
          <label>
            Show{' '}
            <select aria-label="Show" value={mode} onChange={(e) => setMode(e.target.value as GridMode)}>
              <option value="annotations">annotations</option>
              <option value="photos">photos</option>
            </select>
          </label>
          {mode === 'photos' && (
            <>
              <label>
                Animals{' '}
                <select aria-label="Animals" value={animals} onChange={(e) => setAnimals(e.target.value as AnimalsFilter)}>
                  <option value="any">any</option>
                  <option value="none">no animal marked</option>
                  <option value="several">several</option>
                </select>
              </label>
              <span className="muted">
                {photoList.photos ? `${photoList.photos.length} photos; open one to draw its boxes` : 'loading…'}
              </span>
            </>
          )}
        </div>
        {mode === 'annotations' ? (
          <>
            <AnnotationFilters
              filter={filter}
              onChange={changeFilter}
              shown={filtered.length}
              total={annotations ? annotations.length : null}
            />
            <ErrorNotice error={listError} action="Listing annotations" />
            <VirtualGrid
              label="Annotations"
              items={filtered}
              cellWidth={164}
              cellHeight={178}
              keyOf={(annotation) => annotation.id}
              render={(annotation) => (
                <AnnotationThumb
                  annotation={annotation}
                  selected={selected?.id === annotation.id}
                  onSelect={() => setSelected(annotation)}
                />
              )}
            />
          </>
        ) : (
          <>
            <ErrorNotice error={photoList.error} action="Listing photos" />
            <VirtualGrid
              label="Photos"
              items={photoList.photos ?? []}
              cellWidth={164}
              cellHeight={178}
              keyOf={(photo) => photo.id}
              render={(photo, index) => <PhotoThumb photo={photo} onOpen={() => onOpenPhoto(photoList.photos!, index)} />}
            />
          </>
        )}
      </div>

      <aside className="catalog-side">
        <ErrorNotice error={openError} action="Opening the photo" />
        {selected && <AnnotationDetail annotation={selected} onEditBoxes={() => void openPhotoOf(selected)} />}
        <IndividualsList
          individuals={individuals.data}
          error={individuals.error}
          onRetry={individuals.reload}
          onPick={(name) => changeFilter({ text: name })}
          onOpen={onIndividual}
        />
      </aside>
    </section>
  );
}
