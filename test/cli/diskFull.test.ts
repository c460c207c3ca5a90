import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockStudy } from '../../src/tuning/studyLock.js';
import { cli } from '../helpers/cli.js';
import { DIGITS_TEST, DIGITS_TRAIN, tempDir } from '../helpers/files.js';
import { smallDisk } from '../helpers/smallDisk.js';

// A full disk ends a command in one line that names the path and the cause, exit 1, with no
// temporary left behind and no lock that blocks the next run.

let disk: ReturnType<typeof smallDisk>;
let model: string;
beforeAll(async () => {
  disk = smallDisk(256);
  model = path.join(tempDir(), 'model');
  expect((await cli(['train', '--data', DIGITS_TRAIN, '--epochs', '1', '--save', model])).code).toBe(0);
}, 60_000);
afterAll(() => disk?.unmount());

/** What a command left on the small disk, but the filler. */
const left = (dir = disk.dir) =>
  readdirSync(dir, { recursive: true })
    .map(String)
    .filter((n) => n !== '.filler')
    .sort();

/** Runs `argv` on a disk with about `leave` bytes free: exit 1, one line naming `names` and the cause, no stack. */
async function full(argv: string[], names: RegExp, leave = 16 * 1024) {
  disk.fill(leave);
  try {
    const result = await cli(argv);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(
      new RegExp(`^rxgrad: ${names.source}: no space left on the device \\(ENOSPC in \\w+\\)$`),
    );
    expect(result.stderr).not.toMatch(/\n\s+at |a file:/);
  } finally {
    disk.free();
  }
}

describe('a full disk', () => {
  it('convert and predict: one line naming the output, nothing left behind', async () => {
    for (const name of ['y.arrow', 'y.csv', 'y.parquet']) {
      const out = path.join(disk.dir, name);
      await full(['convert', DIGITS_TRAIN, out], new RegExp(out.replaceAll('.', '\\.')));
      expect(left()).toEqual([]);
    }
    for (const name of ['p.csv', 'p.arrow']) {
      const out = path.join(disk.dir, name);
      await full(['predict', '--model', model, '--data', DIGITS_TRAIN, '--out', out], new RegExp(out.replaceAll('.', '\\.')), 4096);
      expect(left()).toEqual([]);
    }
  });

  it('train --save: one line naming the file, and the directory holds no temporary', async () => {
    const dir = path.join(disk.dir, 'model');
    await full(['train', '--data', DIGITS_TRAIN, '--epochs', '2', '--save', dir], new RegExp(`${dir}/\\S+`));
    expect(left(dir).filter((n) => n.includes('.tmp-') || n === 'save.lock')).toEqual([]);
  });

  it('tune: one line, and no study.lock left to block the next run', async () => {
    const study = path.join(disk.dir, 'study');
    await full(['tune', '--data', DIGITS_TRAIN, '--study', study, '--trials', '2', '--epochs', '1'], new RegExp(`${study}/\\S+`));
    expect(existsSync(path.join(study, 'study.lock'))).toBe(false);
  });

  it('a study lock that cannot be written is not left empty', async () => {
    const study = path.join(disk.dir, 'locked');
    disk.fill(0);
    try {
      await expect(lockStudy(study)).rejects.toMatchObject({ code: 'ENOSPC' });
    } finally {
      disk.free();
    }
    expect(readdirSync(study)).toEqual([]);
    (await lockStudy(study)).release();
  });
});

describe('temporaries of a killed writer', () => {
  it('are removed by the next write of the same file; a running process’s are kept', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'out.csv');
    const dead = `${out}.tmp-999999999-0a1b2c3d`;
    const mine = `${out}.tmp-${process.pid}-0a1b2c3d`;
    writeFileSync(dead, 'half');
    writeFileSync(mine, 'in progress');
    expect((await cli(['convert', DIGITS_TEST, out])).code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['out.csv', path.basename(mine)]);
  });
});
