import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: keep parallel files low so end-to-end suites do not starve each other.
    maxWorkers: 2,
  },
});
