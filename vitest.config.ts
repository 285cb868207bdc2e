import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // onnxruntime sessions already use both cores; parallel files only contend.
    fileParallelism: false,
    // The browser tests poll what a round trip to the server changes; vitest's default of 1 s is less
    // than such a trip can take on a loaded 2-core CI machine, where two of them failed for it.
    expect: { poll: { timeout: 15_000 } },
  },
});
