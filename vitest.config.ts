import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Probes PostgreSQL and Redis once; the distributed suites skip (one line) when they are unreachable.
    globalSetup: ["test/distributed/global-setup.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: keep parallel files low so end-to-end suites do not starve each other.
    maxWorkers: 2,
  },
});
