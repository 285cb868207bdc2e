/**
 * The photo view's box geometry, pure so that it is tested without a DOM. A box is given in pixels of
 * the upright photo, axis-aligned, and turned by theta (radians) about its centre: clockwise on screen
 * for a positive theta, as an SVG `rotate()` draws it and as the catalog crops it (imaging/preprocess.ts
 * turns the photo the other way and cuts the axis-aligned box out of the middle).
 */
export interface Point {
  x: number;
  y: number;
}

export interface BoxShape {
  x: number;
  y: number;
  w: number;
  h: number;
  theta: number;
}

export interface PhotoSize {
  width: number;
  height: number;
}

/** Corner and edge handles, by compass point; 'rotate' is the knob above the top edge. */
export type Handle = 'n' | 's' | 'e' | 'w' | 'ne' | 'nw' | 'se' | 'sw';
export type Hit = { kind: 'handle'; handle: Handle } | { kind: 'rotate' } | { kind: 'inside' };

/** The smallest box side the workbench accepts (src/main/catalog/annotation-edits.ts says the same). */
export const MIN_BOX = 4;
/** How far above the top edge the rotation knob sits, in screen pixels. */
export const ROTATE_KNOB_OFFSET = 24;

export const centre = (shape: BoxShape): Point => ({ x: shape.x + shape.w / 2, y: shape.y + shape.h / 2 });

/** A point in the box's own frame: origin at its centre, axes along its edges. */
export function toLocal(shape: BoxShape, point: Point): Point {
  const c = centre(shape);
  const dx = point.x - c.x;
  const dy = point.y - c.y;
  const cos = Math.cos(shape.theta);
  const sin = Math.sin(shape.theta);
  return { x: dx * cos + dy * sin, y: -dx * sin + dy * cos };
}

/** A point of the box's own frame in photo pixels. */
export function toPhoto(shape: BoxShape, local: Point): Point {
  const c = centre(shape);
  const cos = Math.cos(shape.theta);
  const sin = Math.sin(shape.theta);
  return { x: c.x + local.x * cos - local.y * sin, y: c.y + local.x * sin + local.y * cos };
}

/** The four corners in photo pixels: top-left, top-right, bottom-right, bottom-left of the box's frame. */
export function corners(shape: BoxShape): Point[] {
  const hw = shape.w / 2;
  const hh = shape.h / 2;
  return [
    { x: -hw, y: -hh },
    { x: hw, y: -hh },
    { x: hw, y: hh },
    { x: -hw, y: hh },
  ].map((local) => toPhoto(shape, local));
}

const HANDLE_SIGNS: Record<Handle, [number, number]> = {
  n: [0, -1],
  s: [0, 1],
  e: [1, 0],
  w: [-1, 0],
  ne: [1, -1],
  nw: [-1, -1],
  se: [1, 1],
  sw: [-1, 1],
};
export const HANDLES = Object.keys(HANDLE_SIGNS) as Handle[];

/** Where a handle is drawn, in photo pixels. */
export function handlePoint(shape: BoxShape, handle: Handle): Point {
  const [sx, sy] = HANDLE_SIGNS[handle];
  return toPhoto(shape, { x: (sx * shape.w) / 2, y: (sy * shape.h) / 2 });
}

/** Where the rotation knob is drawn, `offset` photo pixels above the top edge's middle. */
export function rotateKnob(shape: BoxShape, offset: number): Point {
  return toPhoto(shape, { x: 0, y: -shape.h / 2 - offset });
}

/**
 * What a pointer at `point` grabs of a box, with `radius` (photo pixels) of tolerance: the rotation knob,
 * a handle (corners before edges), the inside, or nothing.
 */
export function hitTest(shape: BoxShape, point: Point, radius: number, knobOffset: number): Hit | null {
  const near = (p: Point) => Math.hypot(p.x - point.x, p.y - point.y) <= radius;
  if (near(rotateKnob(shape, knobOffset))) return { kind: 'rotate' };
  for (const handle of ['nw', 'ne', 'se', 'sw', 'n', 'e', 's', 'w'] as Handle[])
    if (near(handlePoint(shape, handle))) return { kind: 'handle', handle };
  const local = toLocal(shape, point);
  if (Math.abs(local.x) <= shape.w / 2 && Math.abs(local.y) <= shape.h / 2) return { kind: 'inside' };
  return null;
}

/**
 * Keeps the (unturned) box inside the photo, as the catalog requires: moved in first, then cut to the
 * photo's size. Turned corners may leave the photo; the crop pads them.
 */
export function clampShape(shape: BoxShape, photo: PhotoSize): BoxShape {
  const w = Math.min(Math.max(shape.w, MIN_BOX), photo.width);
  const h = Math.min(Math.max(shape.h, MIN_BOX), photo.height);
  const x = Math.min(Math.max(shape.x, 0), photo.width - w);
  const y = Math.min(Math.max(shape.y, 0), photo.height - h);
  return { x, y, w, h, theta: shape.theta };
}

/** A new box dragged from `start` to `end` (either way round), inside the photo. */
export function dragBox(start: Point, end: Point, photo: PhotoSize): BoxShape {
  const x0 = Math.max(0, Math.min(start.x, end.x));
  const y0 = Math.max(0, Math.min(start.y, end.y));
  const x1 = Math.min(photo.width, Math.max(start.x, end.x));
  const y1 = Math.min(photo.height, Math.max(start.y, end.y));
  return { x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0), theta: 0 };
}

export function moveShape(shape: BoxShape, dx: number, dy: number, photo: PhotoSize): BoxShape {
  return clampShape({ ...shape, x: shape.x + dx, y: shape.y + dy }, photo);
}

/**
 * Drags a handle to `point`: the opposite edge (or corner) stays where it is, in the box's own frame,
 * so a turned box resizes along its own edges.
 */
export function resizeShape(shape: BoxShape, handle: Handle, point: Point, photo: PhotoSize): BoxShape {
  const [sx, sy] = HANDLE_SIGNS[handle];
  const local = toLocal(shape, point);
  let left = -shape.w / 2;
  let right = shape.w / 2;
  let top = -shape.h / 2;
  let bottom = shape.h / 2;
  if (sx > 0) right = Math.max(left + MIN_BOX, local.x);
  if (sx < 0) left = Math.min(right - MIN_BOX, local.x);
  if (sy > 0) bottom = Math.max(top + MIN_BOX, local.y);
  if (sy < 0) top = Math.min(bottom - MIN_BOX, local.y);
  const w = right - left;
  const h = bottom - top;
  const c = toPhoto(shape, { x: (left + right) / 2, y: (top + bottom) / 2 });
  return clampShape({ x: c.x - w / 2, y: c.y - h / 2, w, h, theta: shape.theta }, photo);
}

/** Grows (factor > 1) or shrinks a box about its centre. */
export function scaleShape(shape: BoxShape, factor: number, photo: PhotoSize): BoxShape {
  const c = centre(shape);
  const w = shape.w * factor;
  const h = shape.h * factor;
  return clampShape({ x: c.x - w / 2, y: c.y - h / 2, w, h, theta: shape.theta }, photo);
}

/** theta in (-π, π]. */
export function normaliseAngle(theta: number): number {
  let angle = theta % (2 * Math.PI);
  if (angle > Math.PI) angle -= 2 * Math.PI;
  if (angle <= -Math.PI) angle += 2 * Math.PI;
  return Math.abs(angle) < 1e-9 ? 0 : angle;
}

/** Snaps to upright within this many radians, so that a box turned back lands exactly at 0. */
const SNAP = (2 * Math.PI) / 180;

/** The turn that points the rotation knob at `point`. */
export function rotateTowards(shape: BoxShape, point: Point): BoxShape {
  const c = centre(shape);
  const theta = normaliseAngle(Math.atan2(point.y - c.y, point.x - c.x) + Math.PI / 2);
  return { ...shape, theta: Math.abs(theta) < SNAP ? 0 : theta };
}

export function turnShape(shape: BoxShape, radians: number): BoxShape {
  const theta = normaliseAngle(shape.theta + radians);
  return { ...shape, theta: Math.abs(theta) < 1e-6 ? 0 : theta };
}

/** A new box for the keyboard: centred, half the photo's size. */
export function defaultShape(photo: PhotoSize): BoxShape {
  return { x: photo.width / 4, y: photo.height / 4, w: photo.width / 2, h: photo.height / 2, theta: 0 };
}

export const sameShape = (a: BoxShape, b: BoxShape): boolean =>
  Math.abs(a.x - b.x) < 1e-6 && Math.abs(a.y - b.y) < 1e-6 && Math.abs(a.w - b.w) < 1e-6 && Math.abs(a.h - b.h) < 1e-6 && Math.abs(a.theta - b.theta) < 1e-9;

/** Screen pixels to photo pixels for a photo drawn at `rect` (its on-screen rectangle). */
export function screenToPhoto(client: Point, rect: { left: number; top: number; width: number; height: number }, photo: PhotoSize): Point {
  return { x: ((client.x - rect.left) * photo.width) / rect.width, y: ((client.y - rect.top) * photo.height) / rect.height };
}
