import { describe, expect, it } from 'vitest';
import {
  clamp,
  fit,
  IDENTITY,
  MAX_SCALE,
  panBy,
  toImage,
  toScreen,
  wheelFactor,
  zoomAt,
} from '../../src/renderer/lib/view-transform.ts';

const image = { width: 200, height: 100 };
const viewport = { width: 400, height: 400 };

describe('zoom and pan of the pair view', () => {
  it('fits and centres the photo before any zoom', () => {
    expect(fit(image, viewport)).toEqual({ fit: 2, originX: 0, originY: 100 });
    expect(toScreen(IDENTITY, image, viewport, [0, 0])).toEqual([0, 100]);
    expect(toScreen(IDENTITY, image, viewport, [200, 100])).toEqual([400, 300]);
  });

  it('maps screen to image and back', () => {
    const t = { scale: 3, offsetX: -120, offsetY: -250 };
    const screen = toScreen(t, image, viewport, [57, 33]);
    const back = toImage(t, image, viewport, screen);
    expect(back[0]).toBeCloseTo(57);
    expect(back[1]).toBeCloseTo(33);
  });

  it('zooms about the cursor: the point under it stays put', () => {
    const cursor: [number, number] = [300, 180];
    const before = toImage(IDENTITY, image, viewport, cursor);
    const zoomed = zoomAt(IDENTITY, 2, cursor, image, viewport);
    expect(zoomed.scale).toBe(2);
    const after = toImage(zoomed, image, viewport, cursor);
    expect(after[0]).toBeCloseTo(before[0]);
    // Vertically the picture (200 px tall at scale 2 → 400) now exactly fills the viewport, so it is centred.
    expect(zoomed.offsetY).toBeCloseTo(-100);
  });

  it('never zooms out past the fitted picture nor beyond the maximum', () => {
    expect(zoomAt(IDENTITY, 0.5, [10, 10], image, viewport)).toEqual(IDENTITY);
    expect(zoomAt(IDENTITY, 1000, [10, 10], image, viewport).scale).toBe(MAX_SCALE);
  });

  it('pans only as far as the picture covers the viewport', () => {
    const zoomed = zoomAt(IDENTITY, 4, [200, 200], image, viewport);
    const far = panBy(zoomed, 10_000, 10_000, image, viewport);
    // The picture's top-left corner cannot come inside the viewport.
    expect(toScreen(far, image, viewport, [0, 0])[0]).toBeCloseTo(0);
    expect(toScreen(far, image, viewport, [0, 0])[1]).toBeCloseTo(0);
    const other = panBy(zoomed, -10_000, -10_000, image, viewport);
    const corner = toScreen(other, image, viewport, [200, 100]);
    expect(corner[0]).toBeCloseTo(400);
    expect(corner[1]).toBeCloseTo(400);
    // At scale 1 panning does nothing.
    expect(panBy(IDENTITY, 50, 50, image, viewport)).toEqual(IDENTITY);
    expect(clamp({ scale: 0.2, offsetX: 5, offsetY: 5 }, image, viewport)).toEqual(IDENTITY);
  });

  it('turns wheel deltas into zoom factors: up zooms in, lines and pixels alike', () => {
    expect(wheelFactor(-100, 0)).toBeGreaterThan(1);
    expect(wheelFactor(100, 0)).toBeLessThan(1);
    expect(wheelFactor(-3, 1)).toBeCloseTo(wheelFactor(-48, 0));
    expect(wheelFactor(100, 0) * wheelFactor(-100, 0)).toBeCloseTo(1);
  });
});
