import { describe, expect, it } from 'vitest';
import { learningRateAt, parseSchedule, scheduleText } from '../../src/model/schedule.js';

describe('learning-rate schedules', () => {
  it('inverse decay: α₀/(1 + decay·epoch)', () => {
    expect([0, 1, 2, 3].map((e) => learningRateAt(0.2, { type: 'inverse', decay: 1 }, e))).toEqual([0.2, 0.1, 0.2 / 3, 0.05]);
  });
  it('exponential: rate^epoch·α₀', () => {
    expect(learningRateAt(0.1, { type: 'exponential', rate: 0.95 }, 3)).toBeCloseTo(0.1 * 0.95 ** 3, 15);
  });
  it('step: α₀·γ^⌊epoch/every⌋', () => {
    expect([0, 9, 10, 25].map((e) => learningRateAt(1, { type: 'step', every: 10, gamma: 0.5 }, e))).toEqual([1, 1, 0.5, 0.25]);
  });
  it('writes each schedule in the words parseSchedule reads back', () => {
    for (const text of ['none', 'inverse:0.5', 'exponential:0.9', 'step:5:0.1']) expect(scheduleText(parseSchedule(text))).toBe(text);
  });
  it('parses the CLI forms and rejects the rest', () => {
    expect(parseSchedule('0.1')).toEqual({ type: 'inverse', decay: 0.1 });
    expect(parseSchedule('inverse:0.5')).toEqual({ type: 'inverse', decay: 0.5 });
    expect(parseSchedule('exponential:0.9')).toEqual({ type: 'exponential', rate: 0.9 });
    expect(parseSchedule('step:5:0.1')).toEqual({ type: 'step', every: 5, gamma: 0.1 });
    expect(parseSchedule('none')).toEqual({ type: 'constant' });
    expect(() => parseSchedule('cosine:3')).toThrow(/expected inverse:DECAY/);
    expect(() => parseSchedule('exponential:1.5')).toThrow(/rate must be in \(0, 1\], got 1.5/);
    expect(() => parseSchedule('step:0:0.5')).toThrow(/every must be a positive integer, got 0/);
  });
});
