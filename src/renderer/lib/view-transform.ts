/**
 * Zoom and pan of the pair view. Both photos share one transform, so that zooming into a flank on one
 * side zooms the other side the same way. A photo of size (imageWidth, imageHeight) is first fitted
 * and centred in its viewport; the transform then scales about that fitted picture and shifts it:
 *
 *   screen = origin + offset + image · fit · scale
 */
export interface ViewTransform {
  scale: number;
  offsetX: number;
  offsetY: number;
}

export interface Viewport {
  width: number;
  height: number;
}

export interface Size {
  width: number;
  height: number;
}

export const IDENTITY: ViewTransform = { scale: 1, offsetX: 0, offsetY: 0 };
export const MIN_SCALE = 1;
export const MAX_SCALE = 16;

/** The fitted placement of an image in a viewport before zoom: its scale and top-left corner. */
export function fit(image: Size, viewport: Viewport): { fit: number; originX: number; originY: number } {
  const scale = Math.min(viewport.width / image.width, viewport.height / image.height);
  return {
    fit: scale,
    originX: (viewport.width - image.width * scale) / 2,
    originY: (viewport.height - image.height * scale) / 2,
  };
}

export function toScreen(
  t: ViewTransform,
  image: Size,
  viewport: Viewport,
  point: readonly [number, number],
): [number, number] {
  const f = fit(image, viewport);
  return [
    f.originX + t.offsetX + point[0] * f.fit * t.scale,
    f.originY + t.offsetY + point[1] * f.fit * t.scale,
  ];
}

export function toImage(
  t: ViewTransform,
  image: Size,
  viewport: Viewport,
  screen: readonly [number, number],
): [number, number] {
  const f = fit(image, viewport);
  return [
    (screen[0] - f.originX - t.offsetX) / (f.fit * t.scale),
    (screen[1] - f.originY - t.offsetY) / (f.fit * t.scale),
  ];
}

/**
 * Keeps the picture covering the viewport where it can: at scale 1 it sits where fitting put it; zoomed
 * in, no edge of the picture may come inside the viewport's edge on an axis where it is larger.
 */
export function clamp(t: ViewTransform, image: Size, viewport: Viewport): ViewTransform {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, t.scale));
  const f = fit(image, viewport);
  const axis = (offset: number, origin: number, extent: number, view: number) => {
    const size = extent * f.fit * scale;
    if (size <= view) return (view - size) / 2 - origin; // centred
    return Math.min(-origin, Math.max(view - size - origin, offset));
  };
  return {
    scale,
    offsetX: axis(t.offsetX, f.originX, image.width, viewport.width),
    offsetY: axis(t.offsetY, f.originY, image.height, viewport.height),
  };
}

/** Zooms by `factor` about a screen point (the point under the cursor stays where it is). */
export function zoomAt(
  t: ViewTransform,
  factor: number,
  screen: readonly [number, number],
  image: Size,
  viewport: Viewport,
): ViewTransform {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, t.scale * factor));
  const point = toImage(t, image, viewport, screen);
  const f = fit(image, viewport);
  const next = {
    scale,
    offsetX: screen[0] - f.originX - point[0] * f.fit * scale,
    offsetY: screen[1] - f.originY - point[1] * f.fit * scale,
  };
  return clamp(next, image, viewport);
}

export function panBy(
  t: ViewTransform,
  dx: number,
  dy: number,
  image: Size,
  viewport: Viewport,
): ViewTransform {
  return clamp({ ...t, offsetX: t.offsetX + dx, offsetY: t.offsetY + dy }, image, viewport);
}

/** The zoom factor of one wheel event: smooth for trackpads (small deltas), one notch ≈ 1.2×. */
export function wheelFactor(deltaY: number, deltaMode: number): number {
  const pixels = deltaMode === 1 ? deltaY * 16 : deltaMode === 2 ? deltaY * 400 : deltaY;
  return Math.exp(-pixels * 0.0018);
}
