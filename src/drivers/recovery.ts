// Recovery as one cluster-wide repeatable job (a BullMQ job scheduler): every interval exactly one
// replica, whichever is free, claims the executions whose owner died and re-adds their missing work.
// Each replica still recovers once at start; this catches owners that die while the others run on.
import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";

export type RecoverySchedule = { close(): Promise<void> };

export function scheduleRecovery(opts: {
  connection: Redis;
  prefix?: string;
  everyMs: number;
  recover: () => Promise<unknown>;
  onError?: (error: unknown) => void;
}): RecoverySchedule {
  const prefix = opts.prefix ?? "staffroom";
  const queue = new Queue("recovery", { connection: opts.connection, prefix });
  queue.on("error", () => undefined);
  // Upserting the same scheduler id from every replica keeps one schedule, not one per replica.
  const scheduled = queue
    .upsertJobScheduler("recover", { every: opts.everyMs }, { name: "recover", opts: { removeOnComplete: true, removeOnFail: true } })
    .catch((error: unknown) => opts.onError?.(error));
  const worker = new Worker("recovery", () => opts.recover().then(() => undefined), {
    connection: opts.connection,
    prefix,
    concurrency: 1,
  });
  worker.on("error", () => undefined);
  worker.on("failed", (_job, error) => opts.onError?.(error));
  return {
    async close() {
      await scheduled;
      await worker.close();
      await queue.close();
    },
  };
}
