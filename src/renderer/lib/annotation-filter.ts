import type { Annotation } from '../../shared/api.ts';

export type SideFilter = 'all' | 'left' | 'right' | 'unknown';

export interface AnnotationFilter {
  side: SideFilter;
  /** Part of the individual's name or of the file path, any case; empty for all. */
  text: string;
  unnamedOnly: boolean;
}

export const NO_FILTER: AnnotationFilter = { side: 'all', text: '', unnamedOnly: false };

/** The annotations the catalog grid shows under a filter. */
export function filterAnnotations(
  annotations: readonly Annotation[],
  filter: AnnotationFilter,
): Annotation[] {
  const needle = filter.text.trim().toLowerCase();
  return annotations.filter((annotation) => {
    if (
      filter.side === 'unknown'
        ? annotation.side !== null
        : filter.side !== 'all' && annotation.side !== filter.side
    )
      return false;
    if (filter.unnamedOnly && annotation.name !== null) return false;
    if (
      needle &&
      !(annotation.name ?? '').toLowerCase().includes(needle) &&
      !annotation.image.toLowerCase().includes(needle)
    )
      return false;
    return true;
  });
}
