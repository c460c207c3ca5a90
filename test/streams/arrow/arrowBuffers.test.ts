import { Float64, Int32, Utf8, Utf8View } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { bufferLimits } from '../../../src/streams/arrow/arrowBuffers.js';

describe('bufferLimits', () => {
  it('bounds numbers exactly, with the slack writers pad to', () => {
    expect(bufferLimits([new Float64(), new Int32()], [{ length: 100 }, { length: 100 }])).toEqual([77, 864, 77, 464]);
  });

  it("bounds a view column's views and as many data buffers as the batch gives it (polars 1.x text)", () => {
    const text = 100 * 2 ** 20;
    expect(bufferLimits([new Utf8View(), new Float64()], [{ length: 100 }, { length: 100 }], [2])).toEqual([77, 1664, text, text, 77, 864]);
    expect(bufferLimits([new Utf8View()], [{ length: 100 }], [0])).toEqual([77, 1664]);
    // Without its count the layout is unknown: no limits rather than wrong ones.
    expect(bufferLimits([new Utf8View()], [{ length: 100 }])).toBeUndefined();
    expect(bufferLimits([new Utf8()], [{ length: 100 }])).toEqual([77, 468, text]);
  });
});
