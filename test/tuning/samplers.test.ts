import { describe, expect, it } from 'vitest';
import { samplePoints, zoomBox } from '../../src/tuning/samplers.js';

describe('samplers', () => {
  it('random is seeded and prefix-stable', () => {
    const a = samplePoints('random', 10, 3, { seed: 1 });
    expect(samplePoints('random', 10, 3, { seed: 1 })).toEqual(a);
    expect(samplePoints('random', 4, 3, { seed: 1, offset: 6 })).toEqual(a.slice(6));
    expect(samplePoints('random', 10, 3, { seed: 2 })).not.toEqual(a);
  });

  it('grid covers every cell of a k^d grid once', () => {
    const points = samplePoints('grid', 16, 2, { seed: 3 });
    const cells = new Set(points.map((p) => p.map((u) => Math.floor(u * 4)).join(',')));
    expect(cells.size).toBe(16);
    expect(points.flat().every((u) => [0.125, 0.375, 0.625, 0.875].includes(u))).toBe(true);
  });

  it('quasi-random fills every tenth of each axis more evenly than random does', () => {
    const spread = (points: number[][]) => {
      let worst = 0;
      for (let d = 0; d < 3; d++) {
        const counts = new Array<number>(10).fill(0);
        for (const p of points) counts[Math.floor(p[d]! * 10)]!++;
        worst = Math.max(worst, ...counts.map((c) => Math.abs(c - points.length / 10)));
      }
      return worst;
    };
    const quasi = spread(samplePoints('quasi', 200, 3, { seed: 5 }));
    expect(quasi).toBeLessThanOrEqual(2);
    expect(quasi).toBeLessThan(spread(samplePoints('random', 200, 3, { seed: 5 })));
  });

  it('maps points into a box', () => {
    const points = samplePoints('random', 100, 2, { seed: 1, box: { low: [0.2, 0.5], high: [0.3, 0.6] } });
    expect(points.every((p) => p[0]! >= 0.2 && p[0]! < 0.3 && p[1]! >= 0.5 && p[1]! < 0.6)).toBe(true);
  });
});

describe('coarse-to-fine', () => {
  it('shrinks the box around the best trials', () => {
    const trials = samplePoints('random', 40, 2, { seed: 9 }).map((unit) => ({
      unit,
      score: -((unit[0]! - 0.7) ** 2) - (unit[1]! - 0.2) ** 2,
    }));
    const box = zoomBox(trials, { keep: 0.25, margin: 0.02 });
    expect(box.low[0]).toBeGreaterThan(0.3);
    expect(box.high[0]).toBeLessThan(1);
    expect(box.low[0]! < 0.7 && box.high[0]! > 0.7).toBe(true);
    expect(box.low[1]! < 0.2 && box.high[1]! > 0.2).toBe(true);
    expect((box.high[0]! - box.low[0]!) * (box.high[1]! - box.low[1]!)).toBeLessThan(0.35);
    expect(() => zoomBox([])).toThrow(/no finished trial/);
  });
});
