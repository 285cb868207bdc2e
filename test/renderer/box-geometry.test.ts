import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { uprightRegion } from '../../src/main/imaging/preprocess.ts';
import {
  clampShape,
  corners,
  dragBox,
  handlePoint,
  hitTest,
  moveShape,
  resizeShape,
  rotateKnob,
  rotateTowards,
  scaleShape,
  toLocal,
  toPhoto,
  turnShape,
  type BoxShape,
} from '../../src/renderer/lib/box-geometry.ts';
import { pairViewKey } from '../../src/renderer/lib/keyboard.ts';
import { photoViewKey } from '../../src/renderer/lib/photo-keys.ts';
import { tempFolder } from '../catalog/helpers.ts';

const PHOTO = { width: 400, height: 300 };
const close = (a: { x: number; y: number }, b: { x: number; y: number }) => {
  expect(a.x).toBeCloseTo(b.x, 6);
  expect(a.y).toBeCloseTo(b.y, 6);
};

describe('box geometry of the photo view', () => {
  it('maps between the photo and a turned box’s own frame', () => {
    const shape: BoxShape = { x: 100, y: 50, w: 120, h: 60, theta: 0.7 };
    const point = { x: 173, y: 91 };
    close(toPhoto(shape, toLocal(shape, point)), point);
    expect(corners({ ...shape, theta: 0 })).toEqual([
      { x: 100, y: 50 },
      { x: 220, y: 50 },
      { x: 220, y: 110 },
      { x: 100, y: 110 },
    ]);
    // A positive theta turns clockwise on screen (y down): the top-right corner moves down.
    expect(corners({ ...shape, theta: 0.3 })[1].y).toBeGreaterThan(50);
  });

  it('draws, moves and keeps boxes inside the photo', () => {
    expect(dragBox({ x: 300, y: 250 }, { x: 100, y: 20 }, PHOTO)).toEqual({ x: 100, y: 20, w: 200, h: 230, theta: 0 });
    expect(dragBox({ x: 300, y: 250 }, { x: 500, y: 400 }, PHOTO)).toEqual({ x: 300, y: 250, w: 100, h: 50, theta: 0 });
    expect(moveShape({ x: 10, y: 10, w: 50, h: 50, theta: 0 }, -40, 500, PHOTO)).toEqual({ x: 0, y: 250, w: 50, h: 50, theta: 0 });
    expect(clampShape({ x: -5, y: 0, w: 900, h: 1, theta: 0.2 }, PHOTO)).toEqual({ x: 0, y: 0, w: 400, h: 4, theta: 0.2 });
    const grown = scaleShape({ x: 100, y: 100, w: 100, h: 50, theta: 0 }, 2, PHOTO);
    expect(grown).toEqual({ x: 50, y: 75, w: 200, h: 100, theta: 0 });
  });

  it('resizes a turned box along its own edges, the opposite corner staying put', () => {
    const shape: BoxShape = { x: 120, y: 100, w: 100, h: 60, theta: 0.5 };
    const fixed = handlePoint(shape, 'nw');
    const target = toPhoto(shape, { x: 80, y: 50 }); // beyond the south-east corner, in the box's frame
    const resized = resizeShape(shape, 'se', target, PHOTO);
    close(handlePoint(resized, 'nw'), fixed);
    expect(resized.w).toBeCloseTo(130, 6);
    expect(resized.h).toBeCloseTo(80, 6);
    expect(resized.theta).toBe(0.5);
    // An edge handle changes one side only; a box never turns inside out.
    const wider = resizeShape(shape, 'e', toPhoto(shape, { x: 70, y: 999 }), PHOTO);
    expect([wider.w, wider.h]).toEqual([120, 60].map((v) => expect.closeTo(v, 6)));
    expect(resizeShape(shape, 'e', toPhoto(shape, { x: -500, y: 0 }), PHOTO).w).toBeCloseTo(4, 6);
  });

  it('turns a box towards the pointer, snapping to upright', () => {
    const shape: BoxShape = { x: 100, y: 100, w: 100, h: 100, theta: 0 };
    expect(rotateTowards(shape, { x: 250, y: 150 }).theta).toBeCloseTo(Math.PI / 2, 6);
    expect(rotateTowards(shape, { x: 151, y: 0 }).theta).toBe(0);
    expect(turnShape({ ...shape, theta: 3.1 }, 0.2).theta).toBeCloseTo(3.3 - 2 * Math.PI, 6);
  });

  it('tells what a pointer grabs: the knob, a handle, the inside', () => {
    const shape: BoxShape = { x: 100, y: 100, w: 100, h: 50, theta: 0.3 };
    expect(hitTest(shape, rotateKnob(shape, 20), 5, 20)).toEqual({ kind: 'rotate' });
    expect(hitTest(shape, handlePoint(shape, 'sw'), 5, 20)).toEqual({ kind: 'handle', handle: 'sw' });
    expect(hitTest(shape, toPhoto(shape, { x: 10, y: 5 }), 5, 20)).toEqual({ kind: 'inside' });
    expect(hitTest(shape, { x: 10, y: 10 }, 5, 20)).toBeNull();
  });

  it('draws a turned box where the catalog crops it', async () => {
    // A white turned rectangle on black, drawn with the photo view's own convention (SVG rotate by
    // theta about the centre, through corners()); the catalog's crop of that box must be the rectangle.
    const shape: BoxShape = { x: 140, y: 90, w: 150, h: 70, theta: 0.45 };
    const points = corners(shape).map((p) => `${p.x},${p.y}`).join(' ');
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${PHOTO.width}" height="${PHOTO.height}"><rect width="100%" height="100%" fill="black"/><polygon points="${points}" fill="white"/></svg>`;
    const file = join(tempFolder(), 'turned.png');
    writeFileSync(file, await sharp(Buffer.from(svg)).png().toBuffer());
    const mean = async (theta: number) => {
      const region = await uprightRegion(file, { ...shape, theta });
      const { data } = await region.extract({ left: 5, top: 5, width: shape.w - 10, height: shape.h - 10 }).raw().toBuffer({ resolveWithObject: true });
      return data.reduce((sum, v) => sum + v, 0) / data.length;
    };
    expect(await mean(shape.theta)).toBeGreaterThan(245);
    expect(await mean(-shape.theta)).toBeLessThan(200); // the other way round would cut black corners
  });
});

describe('photo view keys', () => {
  it('maps keys to box edits, photos and sides', () => {
    expect(photoViewKey({ key: 'n' })).toEqual({ type: 'new-box' });
    expect(photoViewKey({ key: 'n', repeat: true })).toBeNull();
    expect(photoViewKey({ key: 'L' })).toEqual({ type: 'side', side: 'left' });
    expect(photoViewKey({ key: 'u' })).toEqual({ type: 'side', side: null });
    expect(photoViewKey({ key: 'ArrowLeft', shiftKey: true })).toEqual({ type: 'move', dx: -0.05, dy: 0 });
    expect(photoViewKey({ key: 'j' })).toEqual({ type: 'photo', delta: 1 });
    expect(photoViewKey({ key: 'PageUp' })).toEqual({ type: 'photo', delta: -1 });
    expect(photoViewKey({ key: 'Tab', shiftKey: true })).toEqual({ type: 'select', delta: -1 });
    expect(photoViewKey({ key: 'e', shiftKey: true })).toEqual({ type: 'turn', degrees: 1 });
    expect(photoViewKey({ key: 'Delete' })).toEqual({ type: 'delete' });
    expect(photoViewKey({ key: 'z', ctrlKey: true })).toEqual({ type: 'undo' });
    expect(photoViewKey({ key: 'l', ctrlKey: true })).toBeNull();
    expect(photoViewKey({ key: 'l', editable: true })).toBeNull();
    expect(photoViewKey({ key: 'Escape', editable: true })).toEqual({ type: 'escape' });
    // In the pair view, W shows the whole photos with their boxes.
    expect(pairViewKey({ key: 'w' })).toEqual({ type: 'whole-photos' });
  });
});
