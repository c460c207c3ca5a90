// Where the benches find the Python whose PyTorch is the peer.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The Python whose PyTorch is the peer: today's release from a virtual environment when one has it
 * ($PYTHON, or .venv beside or above the checkout: python3 -m venv .venv && .venv/bin/pip install
 * torch numpy), else Debian's python3-torch; undefined without any. `modules` are what it must
 * import besides torch and numpy.
 *
 * @example
 * const python = findTorchPython(root, ['pyarrow']);
 */
export function findTorchPython(root, modules = []) {
  const imports = ['torch', 'numpy', ...modules].join(', ');
  return [process.env.PYTHON, path.join(root, '.venv/bin/python'), path.join(root, '../.venv/bin/python'), '/usr/bin/python3'].find(
    (p) => p && existsSync(p) && spawnSync(p, ['-c', `import ${imports}`], { stdio: 'ignore' }).status === 0,
  );
}
