import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { PairMatchesPayload } from '../../shared/explanation.ts';
import type { Overlay } from '../lib/keyboard.ts';
import {
  HEAT_OPACITY,
  heatMapPixels,
  lineColor,
  pixelMapPixels,
  pixelMapsComposite,
} from '../lib/overlays.ts';
import { relevanceGrid, type PixelMaps } from '../lib/payload.ts';
import {
  fit,
  IDENTITY,
  panBy,
  toImage,
  toScreen,
  wheelFactor,
  zoomAt,
  type Size,
  type ViewTransform,
  type Viewport,
} from '../lib/view-transform.ts';

export interface PairCanvasProps {
  /** The model-sized views of both annotations (null while loading). */
  photos: [HTMLImageElement | null, HTMLImageElement | null];
  /** The model's input size: the coordinate system of the explanation. */
  size: Size;
  matches: PairMatchesPayload | null;
  pixels: PixelMaps | null;
  overlays: Record<Overlay, boolean>;
  /** The clean photos, no overlays (key H). */
  clean: boolean;
  /** The match (rank) highlighted: its line stands out and its pixel maps are shown alone. */
  focus: number | null;
  transform: ViewTransform;
  onTransform: (transform: ViewTransform) => void;
  onHoverMatch: (rank: number | null) => void;
  /** Called after a frame that showed both photos with the matches and heat maps of `matches` (for performance marks). */
  onExplanationDrawn?: (matches: PairMatchesPayload) => void;
  /** Kept (with its zoom) but not shown: the pair view shows the whole photos instead. */
  hidden?: boolean;
}

const GAP = 16;
const HIT_RADIUS = 10;

function canvasOf(width: number, height: number, pixels: Uint8ClampedArray): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(pixels), width, height), 0, 0);
  return canvas;
}

/** The two viewports (left photo, right photo) of a canvas of the given CSS size. */
function viewports(width: number, height: number): { viewport: Viewport; left: [number, number] } {
  const half = Math.max(1, (width - GAP) / 2);
  return { viewport: { width: half, height }, left: [0, half + GAP] };
}

/**
 * Both photos side by side in one canvas, with the explanation over them: heat maps (jet, 40 %), the
 * match lines across the gap with circles at both ends, and pixel relevance in each match's colour
 * map. Wheel zooms about the cursor and drag pans, on both photos at once.
 */
export function PairCanvas(props: PairCanvasProps) {
  const {
    photos,
    size,
    matches,
    pixels,
    overlays,
    clean,
    focus,
    transform,
    onTransform,
    onHoverMatch,
    onExplanationDrawn,
  } = props;
  const wrapper = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [cssSize, setCssSize] = useState({ width: 800, height: 400 });
  const drag = useRef<{ x: number; y: number; moved: boolean } | null>(null);
  const latest = useRef(props);
  latest.current = props;

  useEffect(() => {
    const element = wrapper.current;
    if (!element) return;
    const measure = () =>
      setCssSize({ width: Math.max(200, element.clientWidth), height: Math.max(150, element.clientHeight) });
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    measure();
    return () => observer.disconnect();
  }, []);

  const heat = useMemo(() => {
    if (!matches) return null;
    return ([0, 1] as const).map((i) => {
      const grid = relevanceGrid(matches, i);
      return canvasOf(grid.width, grid.height, heatMapPixels(grid.values, grid.width, grid.height));
    });
  }, [matches]);

  const pixelLayers = useMemo(() => {
    if (!pixels || pixels.kColors === 0) return null;
    return ([0, 1] as const).map((i) => {
      const maps = pixels.maps[i];
      const rgba =
        focus !== null && focus < pixels.kColors
          ? pixelMapPixels(maps[focus], focus)
          : focus === null
            ? pixelMapsComposite(maps)
            : null;
      return rgba ? canvasOf(pixels.width, pixels.height, rgba) : null;
    });
  }, [pixels, focus]);

  useLayoutEffect(() => {
    const element = canvas.current;
    if (!element) return;
    const dpr = window.devicePixelRatio || 1;
    const { width, height } = cssSize;
    if (element.width !== Math.round(width * dpr) || element.height !== Math.round(height * dpr)) {
      element.width = Math.round(width * dpr);
      element.height = Math.round(height * dpr);
    }
    const ctx = element.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const { viewport, left } = viewports(width, height);
    const f = fit(size, viewport);
    const drawnWidth = size.width * f.fit * transform.scale;
    const drawnHeight = size.height * f.fit * transform.scale;

    for (const i of [0, 1] as const) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(left[i], 0, viewport.width, viewport.height);
      ctx.clip();
      ctx.fillStyle = '#111317';
      ctx.fillRect(left[i], 0, viewport.width, viewport.height);
      const x = left[i] + f.originX + transform.offsetX;
      const y = f.originY + transform.offsetY;
      const photo = photos[i];
      if (photo && photo.complete && photo.naturalWidth > 0) {
        ctx.imageSmoothingEnabled = transform.scale < 4;
        ctx.drawImage(photo, x, y, drawnWidth, drawnHeight);
      } else {
        ctx.fillStyle = '#2a2d33';
        ctx.fillRect(x, y, drawnWidth, drawnHeight);
      }
      if (!clean && overlays.heat && heat) {
        // With one match in focus the heat map steps back, so that its pixel maps stand out.
        ctx.globalAlpha = focus === null ? HEAT_OPACITY : HEAT_OPACITY / 3;
        ctx.imageSmoothingEnabled = true;
        ctx.drawImage(heat[i], x, y, drawnWidth, drawnHeight);
        ctx.globalAlpha = 1;
      }
      const layer = pixelLayers?.[i];
      if (!clean && overlays.pixels && layer) {
        ctx.imageSmoothingEnabled = true;
        ctx.drawImage(layer, x, y, drawnWidth, drawnHeight);
      }
      ctx.restore();
    }

    if (!clean && overlays.lines && matches) {
      const shown = matches.matches.slice(0, matches.kLines);
      const inside = (p: [number, number], i: 0 | 1) =>
        p[0] >= left[i] && p[0] <= left[i] + viewport.width && p[1] >= 0 && p[1] <= viewport.height;
      const draw = (rank: number, emphasised: boolean) => {
        const match = shown[rank];
        const s0 = toScreen(transform, size, viewport, match.point0);
        const s1 = toScreen(transform, size, viewport, match.point1);
        const p0: [number, number] = [s0[0] + left[0], s0[1]];
        const p1: [number, number] = [s1[0] + left[1], s1[1]];
        const in0 = inside(p0, 0);
        const in1 = inside(p1, 1);
        ctx.strokeStyle = lineColor(rank);
        ctx.globalAlpha = focus === null || emphasised ? 1 : 0.25;
        if (in0 && in1) {
          ctx.lineWidth = emphasised ? 3 : 1.25;
          ctx.beginPath();
          ctx.moveTo(p0[0], p0[1]);
          ctx.lineTo(p1[0], p1[1]);
          ctx.stroke();
        }
        ctx.lineWidth = emphasised ? 3 : 2;
        for (const [point, visible] of [
          [p0, in0],
          [p1, in1],
        ] as const) {
          if (!visible) continue;
          ctx.beginPath();
          ctx.arc(point[0], point[1], emphasised ? 6 : 4, 0, Math.PI * 2);
          ctx.stroke();
        }
      };
      // The reference draws the strongest match last (on top); the focused one goes over all.
      for (let rank = shown.length - 1; rank >= 0; rank--) if (rank !== focus) draw(rank, false);
      if (focus !== null && focus < shown.length) draw(focus, true);
      ctx.globalAlpha = 1;
    }
    element.dataset.drawn = matches
      ? photos[0] && photos[1]
        ? 'complete'
        : 'explanation'
      : photos[0] && photos[1]
        ? 'photos'
        : 'pending';
    if (element.dataset.drawn === 'complete') onExplanationDrawn?.(matches!);
  }, [
    cssSize,
    photos,
    size,
    matches,
    heat,
    pixelLayers,
    overlays,
    clean,
    focus,
    transform,
    onExplanationDrawn,
  ]);

  // Wheel zoom needs a non-passive listener (React's onWheel is passive and cannot prevent scrolling).
  useEffect(() => {
    const element = canvas.current;
    if (!element) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const { transform: t, size: s, onTransform: set } = latest.current;
      const rect = element.getBoundingClientRect();
      const { viewport, left } = viewports(rect.width, rect.height);
      const x = event.clientX - rect.left;
      const side = x >= left[1] ? 1 : 0;
      set(
        zoomAt(
          t,
          wheelFactor(event.deltaY, event.deltaMode),
          [x - left[side], event.clientY - rect.top],
          s,
          viewport,
        ),
      );
    };
    element.addEventListener('wheel', onWheel, { passive: false });
    return () => element.removeEventListener('wheel', onWheel);
  }, []);

  const hitTest = (clientX: number, clientY: number): number | null => {
    const element = canvas.current;
    if (!element || !matches) return null;
    const rect = element.getBoundingClientRect();
    const { viewport, left } = viewports(rect.width, rect.height);
    const x = clientX - rect.left;
    const y = clientY - rect.top;
    const side = x >= left[1] ? 1 : 0;
    const point = toImage(transform, size, viewport, [x - left[side], y]);
    const scale = fit(size, viewport).fit * transform.scale;
    let best: number | null = null;
    let bestDistance = HIT_RADIUS / scale;
    matches.matches.slice(0, matches.kLines).forEach((match, rank) => {
      const target = side === 0 ? match.point0 : match.point1;
      const distance = Math.hypot(target[0] - point[0], target[1] - point[1]);
      if (distance <= bestDistance) {
        best = rank;
        bestDistance = distance;
      }
    });
    return best;
  };

  return (
    <div className="pair-canvas" ref={wrapper} hidden={props.hidden}>
      <canvas
        ref={canvas}
        role="img"
        aria-label="Both photos with the explanation: heat maps, match lines and pixel relevance"
        style={{ width: cssSize.width, height: cssSize.height }}
        onPointerDown={(event) => {
          drag.current = { x: event.clientX, y: event.clientY, moved: false };
          event.currentTarget.setPointerCapture(event.pointerId);
        }}
        onPointerMove={(event) => {
          const current = drag.current;
          if (current) {
            const dx = event.clientX - current.x;
            const dy = event.clientY - current.y;
            if (dx === 0 && dy === 0) return;
            current.x = event.clientX;
            current.y = event.clientY;
            current.moved = true;
            const { viewport } = viewports(cssSize.width, cssSize.height);
            onTransform(panBy(transform, dx, dy, size, viewport));
          } else {
            onHoverMatch(hitTest(event.clientX, event.clientY));
          }
        }}
        onPointerUp={(event) => {
          drag.current = null;
          event.currentTarget.releasePointerCapture(event.pointerId);
        }}
        onPointerLeave={() => {
          if (!drag.current) onHoverMatch(null);
        }}
        onDoubleClick={() => onTransform(IDENTITY)}
      />
    </div>
  );
}
