import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lastValueFrom, toArray, VirtualTimeScheduler } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readArrow } from '../../../src/streams/arrow/readArrow.js';
import { replayArrow } from '../../../src/streams/arrow/replayArrow.js';
import { writeListLayout } from '../../helpers/arrowFiles.js';
import { watchHandles } from '../../helpers/fileHandles.js';

const until = async (condition: () => boolean) => {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
};

describe('replayArrow', () => {
  afterEach(() => vi.restoreAllMocks());

  it('delivers each record batch after its rows at rowsPerSecond, reading only as fast as it replays', async () => {
    const file = await writeListLayout(mkdtempSync(path.join(tmpdir(), 'rxgrad-replay-')), 40, { batchRows: 10 });
    const scheduler = new VirtualTimeScheduler();
    const seen: { firstRow: number; at: number }[] = [];
    let done = false;
    replayArrow(file, { rowsPerSecond: 1000, scheduler }).subscribe({
      next: (b) => seen.push({ firstRow: b.firstRow, at: scheduler.now() }),
      complete: () => (done = true),
    });
    for (let flushed = 0; flushed < 4; flushed++) {
      // The next block waits for virtual time: nothing more is emitted until the clock moves.
      await until(() => scheduler.actions.length > 0);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(seen.length).toBe(flushed);
      scheduler.flush();
      await until(() => seen.length === flushed + 1);
    }
    await until(() => done);
    // 10 rows at 1,000 rows a second: 10 ms a block.
    expect(seen).toEqual([
      { firstRow: 0, at: 10 },
      { firstRow: 10, at: 20 },
      { firstRow: 20, at: 30 },
      { firstRow: 30, at: 40 },
    ]);
    expect(await lastValueFrom(replayArrow(file, { interval: 0 }).pipe(toArray()))).toEqual(
      await lastValueFrom(readArrow(file).pipe(toArray())),
    );
  });

  it('unsubscribing while a block waits cancels the wait and closes the file', async () => {
    const file = await writeListLayout(mkdtempSync(path.join(tmpdir(), 'rxgrad-replay-')), 40, { batchRows: 10 });
    const handles = watchHandles();
    const scheduler = new VirtualTimeScheduler();
    const seen: number[] = [];
    const subscription = replayArrow(file, { interval: 100, scheduler }).subscribe((b) => seen.push(b.firstRow));
    await until(() => scheduler.actions.length > 0);
    subscription.unsubscribe();
    await until(() => handles.every((h) => h.closed));
    scheduler.flush();
    expect(seen).toEqual([]);
    expect(handles.length).toBe(1);
  });

  it('refuses a pace it cannot keep', () => {
    expect(() => replayArrow('x.arrow', { interval: 1, rowsPerSecond: 1 })).toThrow(/interval or rowsPerSecond, not both/);
    expect(() => replayArrow('x.arrow', { rowsPerSecond: 0 })).toThrow(/rowsPerSecond must be a positive number, got 0/);
    expect(() => replayArrow('x.arrow', { interval: -1 })).toThrow(/interval must be a number ≥ 0, got -1/);
  });
});
