// Vitest global setup: probes PostgreSQL and Redis once, hands the result to every suite (inject("services")),
// and prints one line when the distributed suites will be skipped. STAFFROOM_TEST_SERVICES=required (set by
// .ci/run) turns an unreachable service into a failed run instead of a skip.
import type { TestProject } from "vitest/node";
import { POSTGRES_URL, probeServices, REDIS_URL, type Services } from "./services.ts";

declare module "vitest" {
  export interface ProvidedContext {
    services: Services;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const services = await probeServices();
  project.provide("services", services);
  const missing = [!services.postgres && `PostgreSQL (${POSTGRES_URL})`, !services.redis && `Redis (${REDIS_URL})`].filter(Boolean);
  if (missing.length === 0) return;
  const line = `Distributed suites skipped: ${missing.join(" and ")} not reachable; run .ci/run (it starts both), or start them and set STAFFROOM_TEST_POSTGRES_URL / STAFFROOM_TEST_REDIS_URL.`;
  if (process.env.STAFFROOM_TEST_SERVICES === "required") throw new Error(line.replace("suites skipped", "suites cannot run"));
  process.stdout.write(`${line}\n`);
}
