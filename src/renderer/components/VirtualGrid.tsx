import { useEffect, useRef, useState, type ReactNode } from 'react';
import { gridLayout, scrollToRow } from '../lib/windowing.ts';

interface Props<T> {
  items: readonly T[];
  /** Cell width; 'fill' makes one column as wide as the grid (a list). */
  cellWidth: number | 'fill';
  cellHeight: number;
  gap?: number;
  keyOf: (item: T) => string | number;
  render: (item: T, index: number) => ReactNode;
  label: string;
  /** A listbox (keyboard-selectable rows) or a plain list. */
  role?: 'list' | 'listbox';
  /** The selected item: marked aria-selected and scrolled into view when it changes. */
  selectedIndex?: number;
}

/** A scrolling grid (or list) that renders only the rows in view (lib/windowing.ts). */
export function VirtualGrid<T>({
  items,
  cellWidth,
  cellHeight,
  gap = 10,
  keyOf,
  render,
  label,
  role = 'list',
  selectedIndex,
}: Props<T>) {
  const scroller = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ width: 800, height: 600 });
  const [scrollTop, setScrollTop] = useState(0);

  useEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const measure = () => setSize({ width: element.clientWidth, height: element.clientHeight });
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    measure();
    return () => observer.disconnect();
  }, []);

  const width = cellWidth === 'fill' ? Math.max(1, size.width) : cellWidth;
  const layout = gridLayout({
    count: items.length,
    width: size.width,
    height: size.height,
    scrollTop,
    cellWidth: width,
    cellHeight,
    gap,
  });

  useEffect(() => {
    const element = scroller.current;
    if (!element || selectedIndex === undefined || selectedIndex < 0) return;
    const row = Math.floor(selectedIndex / layout.columns);
    const target = scrollToRow(row, layout.rowHeight, element.scrollTop, element.clientHeight);
    if (target !== element.scrollTop) element.scrollTop = target;
  }, [selectedIndex, layout.columns, layout.rowHeight]);

  const cells: ReactNode[] = [];
  for (let index = layout.first; index < layout.end; index++) {
    const item = items[index];
    const row = Math.floor(index / layout.columns);
    const column = index % layout.columns;
    cells.push(
      <div
        key={keyOf(item)}
        className={index === selectedIndex ? 'grid-cell selected' : 'grid-cell'}
        role={role === 'listbox' ? 'option' : 'listitem'}
        aria-selected={role === 'listbox' ? index === selectedIndex : undefined}
        style={{
          width,
          height: cellHeight,
          transform: `translate(${column * (width + gap)}px, ${row * layout.rowHeight}px)`,
        }}
      >
        {render(item, index)}
      </div>,
    );
  }
  return (
    <div
      className="virtual-grid"
      ref={scroller}
      onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}
    >
      <div
        className="virtual-grid-inner"
        role={role}
        aria-label={label}
        style={{ height: layout.totalHeight }}
      >
        {cells}
      </div>
    </div>
  );
}
