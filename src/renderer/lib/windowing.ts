/**
 * Which cells of a grid of fixed-size cells a scrolled viewport shows (plus `overscan` rows either
 * side, so that fast scrolling does not flash empty rows). Only those are rendered: a catalog of tens
 * of thousands of annotations costs a few dozen elements.
 */
export interface GridLayout {
  columns: number;
  rows: number;
  rowHeight: number;
  totalHeight: number;
  /** Items [first, end) are rendered. */
  first: number;
  end: number;
}

export function gridLayout(options: {
  count: number;
  width: number;
  height: number;
  scrollTop: number;
  cellWidth: number;
  cellHeight: number;
  gap: number;
  overscan?: number;
}): GridLayout {
  const { count, width, height, scrollTop, cellWidth, cellHeight, gap } = options;
  const overscan = options.overscan ?? 2;
  const columns = Math.max(1, Math.floor((width + gap) / (cellWidth + gap)));
  const rows = Math.ceil(count / columns);
  const rowHeight = cellHeight + gap;
  const firstRow = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const endRow = Math.min(rows, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  return {
    columns,
    rows,
    rowHeight,
    totalHeight: Math.max(0, rows * rowHeight - gap),
    first: Math.min(count, firstRow * columns),
    end: Math.min(count, endRow * columns),
  };
}

/** The scrollTop that brings row `row` into view (unchanged when it already is). */
export function scrollToRow(row: number, rowHeight: number, scrollTop: number, height: number): number {
  const top = row * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + height) return top + rowHeight - height;
  return scrollTop;
}
