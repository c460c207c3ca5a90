import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Workers and the CLI run compiled code: build it from the current source first.
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
