import { describe, expect, it } from 'vitest';
import { giveBackArray, takeArray } from '../../src/memory/spareArrays.js';

describe('spare arrays', () => {
  it('hands an array given back to the next taker of the same kind and length, and only to one', () => {
    const first = takeArray('Uint8Array', 1001);
    first.fill(7);
    giveBackArray(first);
    giveBackArray(first);
    const again = takeArray('Uint8Array', 1001);
    expect(again).toBe(first);
    // Its contents are what the last user left.
    expect(again[1000]).toBe(7);
    // Given back twice, handed out once: the next taker gets a new array.
    expect(takeArray('Uint8Array', 1001)).not.toBe(first);
  });

  it('keeps kinds and lengths apart', () => {
    const bytes = takeArray('Uint8Array', 1002);
    giveBackArray(bytes);
    expect(takeArray('Uint8Array', 1003)).not.toBe(bytes);
    const floats = takeArray('Float32Array', 1002);
    expect(floats).toBeInstanceOf(Float32Array);
    expect(floats).not.toBe(bytes as unknown);
    expect(takeArray('Int32Array', 1002)).toBeInstanceOf(Int32Array);
    expect(takeArray('Uint8Array', 1002)).toBe(bytes);
  });

  it('does not take a view into a larger buffer', () => {
    const whole = new Uint8Array(2008);
    giveBackArray(whole.subarray(0, 1004));
    expect(takeArray('Uint8Array', 1004).buffer).not.toBe(whole.buffer);
  });
});
