import { describe, expect, it } from 'vitest';
import { LruMap } from '../../src/renderer/lib/window-cache.ts';

describe('LruMap (the window cache of pairs)', () => {
  it('keeps the most recently used entries up to its capacity', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.get('a')).toBe(1); // a is now the most recent
    map.set('c', 3);
    expect(map.has('b')).toBe(false);
    expect(map.get('a')).toBe(1);
    expect(map.get('c')).toBe(3);
    expect(map.size).toBe(2);
  });

  it('replaces a value without growing, and makes it the most recent', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.set('a', 10);
    map.set('c', 3);
    expect(map.get('a')).toBe(10);
    expect(map.has('b')).toBe(false);
    expect(map.size).toBe(2);
  });
});
