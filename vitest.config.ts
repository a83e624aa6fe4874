import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    // Files written by a test are loaded at once; a settling time of 0.1 s (not 0.5) keeps the
    // suite fast. test/integration/settling.test.ts tests the rule itself.
    env: { STRATA_SETTLE_MS: '100' },
  },
});
