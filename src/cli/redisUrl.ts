import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';

/** The environment variables a Redis URL is read from when `--redis` is given without one: rxgrad's, then the usual one. */
export const REDIS_URL_VARIABLES = ['RXGRAD_REDIS_URL', 'REDIS_URL'] as const;

/**
 * The Redis URL a command uses: the one given, or (given as a bare `--redis`, or not at all for
 * `rxgrad worker`) `RXGRAD_REDIS_URL` or `REDIS_URL` from the environment, so that a password
 * stays out of `ps`; with `passwordFile`, the password is the file's first line. A URL that does
 * not parse (a password with an unencoded `/`, `#` or `:`) is a one-line `UsageError` saying how
 * to write it.
 *
 * @example
 * redisUrl(true, undefined) // process.env.RXGRAD_REDIS_URL, say "redis://10.0.0.1:6379"
 */
export function redisUrl(given: string | true | undefined, passwordFile: string | undefined, flag = '--redis'): string {
  const fromEnvironment = REDIS_URL_VARIABLES.map((name) => process.env[name]).find((value) => value !== undefined && value !== '');
  const url = typeof given === 'string' ? given : fromEnvironment;
  if (url === undefined)
    throw new UsageError(
      `${flag} needs a URL: give one (redis://[:password@]host:port[/db]), or set ${REDIS_URL_VARIABLES.join(' or ')}, which keeps a password out of ps`,
    );
  if (!/^rediss?:\/\//.test(url)) throw new UsageError(`${flag}: expected a redis:// or rediss:// URL`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(
      `${flag}: not a valid URL; percent-encode a password's / # : @ (as %2F %23 %3A %40), or give the password with --redis-password-file`,
    );
  }
  if (passwordFile === undefined) return url;
  let password: string;
  try {
    password = readFileSync(passwordFile, 'utf8').split(/\r?\n/)[0]!;
  } catch (error) {
    throw new UsageError(
      `--redis-password-file ${passwordFile}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  if (password === '') throw new UsageError(`--redis-password-file ${passwordFile}: its first line is empty; expected the password`);
  if (parsed.password !== '') throw new UsageError(`${flag} has a password and --redis-password-file gives one: give it once`);
  parsed.password = encodeURIComponent(password);
  return parsed.toString().replace(/\/$/, '');
}
