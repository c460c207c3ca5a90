// A module-resolution hook (node --import test/helpers/moduleLog.mjs): prints every package a
// program resolves, one "resolved PACKAGE" line each on stderr, for tests of what an import loads.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(result.url);
  if (match) process.stderr.write('resolved ' + match[1] + '\\n');
  return result;
}`),
);
