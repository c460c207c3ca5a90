import { firstValueFrom, take } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readArrow } from '../../src/streams/arrow/readArrow.js';
import { writeListLayout } from '../helpers/arrowFiles.js';
import { watchHandles } from '../helpers/fileHandles.js';
import { tempDir } from '../helpers/files.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('readArrow teardown', () => {
  afterEach(() => vi.restoreAllMocks());

  it('unsubscribing after the first block closes the file and reads no further record batch', async () => {
    const file = await writeListLayout(tempDir(), 20_000, { batchRows: 100 });
    const handles = watchHandles();
    const first = await firstValueFrom(readArrow(file));
    expect(first.rows).toBe(100);
    const readsAtUnsubscribe = handles[0]!.reads;
    await sleep(100);
    expect(handles).toHaveLength(1);
    expect(handles[0]!.closed).toBe(true);
    // At most the read-ahead already in flight goes on (and fails on the closed file); 199 record
    // batches remain unread.
    expect(handles[0]!.reads - readsAtUnsubscribe).toBeLessThanOrEqual(2);
  });

  it('a whole read closes the file too, and take(n) ends the reading at n blocks', async () => {
    const file = await writeListLayout(tempDir(), 1_000, { batchRows: 100 });
    const handles = watchHandles();
    const blocks: number[] = [];
    await new Promise<void>((resolve, reject) =>
      readArrow(file)
        .pipe(take(3))
        .subscribe({ next: (b) => blocks.push(b.firstRow), error: reject, complete: resolve }),
    );
    expect(blocks).toEqual([0, 100, 200]);
    await sleep(50);
    expect(handles[0]!.closed).toBe(true);
  });
});
