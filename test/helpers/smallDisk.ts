import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './files.js';

/**
 * A small file system of the test's own (a tmpfs of `kilobytes`, mounted on a temporary folder;
 * the tests run as root, as CI does), for disks that fill up: `fill(leave)` takes all but `leave`
 * bytes of it, `free()` gives them back, `unmount()` ends it.
 */
export function smallDisk(kilobytes: number) {
  const dir = tempDir('rxgrad-small-disk-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kilobytes}k`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(
      `could not mount a ${kilobytes} KiB tmpfs on ${dir} (the disk-full tests run as root, as CI does): ${String((error as { stderr?: unknown }).stderr ?? error)}`,
    );
  }
  const filler = path.join(dir, '.filler');
  return {
    dir,
    /** Fills the disk, leaving about `leave` bytes free. */
    fill(leave = 0) {
      writeFileSync(filler, '');
      const { bavail, bsize } = statfs(dir);
      writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - leave)));
    },
    free() {
      writeFileSync(filler, '');
    },
    unmount() {
      execFileSync('umount', [dir]);
    },
  };
}

function statfs(dir: string): { bavail: number; bsize: number } {
  const [bavail, bsize] = execFileSync('stat', ['-f', '-c', '%a %S', dir], { encoding: 'utf8' }).trim().split(' ').map(Number);
  return { bavail: bavail!, bsize: bsize! };
}
