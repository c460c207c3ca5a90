import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StudyError } from '../../src/errors.js';
import { LOCK_FILE, lockStudy } from '../../src/tuning/studyLock.js';
import { tempDir } from '../helpers/files.js';

/** The pid of a process that has already exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

describe('lockStudy', () => {
  it('lets one holder in at a time and says who holds it', async () => {
    const dir = path.join(tempDir(), 'study');
    const lock = await lockStudy(dir);
    const owner = JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, host: hostname() });
    const second = lockStudy(dir);
    await expect(second).rejects.toBeInstanceOf(StudyError);
    await expect(lockStudy(dir)).rejects.toThrow(
      new RegExp(`the study is in use by process ${process.pid} on ${hostname()} \\(since .*\\); one process runs a study at a time`),
    );
    lock.release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    (await lockStudy(dir)).release();
  });

  it('takes over the lock of a process that is gone, and of a lock left half-written long ago', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: hostname(), since: '2026-01-01T00:00:00.000Z' }));
    const lock = await lockStudy(dir);
    expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    lock.release();
    writeFileSync(path.join(dir, LOCK_FILE), '');
    await expect(lockStudy(dir)).rejects.toThrow(/in use by another process \(its lock file is being written\)/);
    const old = new Date(Date.now() - 120_000);
    utimesSync(path.join(dir, LOCK_FILE), old, old);
    (await lockStudy(dir)).release();
  });

  it('refuses a lock held on another host, saying how to clear it', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: 'elsewhere', since: '2026-01-01T00:00:00.000Z' }));
    await expect(lockStudy(dir)).rejects.toThrow(
      new RegExp(
        `in use by process 1 on elsewhere .*; if that process is gone, remove ${path.join(dir, LOCK_FILE).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
      ),
    );
  });

  it('release leaves a lock that is no longer its own', async () => {
    const dir = tempDir();
    const lock = await lockStudy(dir);
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: 'elsewhere', since: 'x' }));
    lock.release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(true);
  });
});

describe('a study with damaged records', () => {
  it('names the file that is not JSON or not a record', async () => {
    const { readStudy, readTrialRecords } = await import('../../src/tuning/studyStore.js');
    const { mkdirSync } = await import('node:fs');
    const dir = tempDir();
    writeFileSync(path.join(dir, 'study.json'), '{"format": "rxgrad-st');
    await expect(readStudy(dir)).rejects.toThrow(new RegExp(`${path.join(dir, 'study.json')}: not valid JSON`));
    writeFileSync(path.join(dir, 'study.json'), 'null');
    await expect(readStudy(dir)).rejects.toThrow(/study.json: not an rxgrad study/);
    mkdirSync(path.join(dir, 'trials'));
    writeFileSync(path.join(dir, 'trials', 'r0-000.json'), '{"id": "r0-000"');
    await expect(readTrialRecords(dir)).rejects.toThrow(/r0-000.json: not valid JSON/);
    writeFileSync(path.join(dir, 'trials', 'r0-000.json'), '{"id": "r0-000", "status": "done"}');
    await expect(readTrialRecords(dir)).rejects.toBeInstanceOf(StudyError);
  });
});
