// `staffroom start` (and `npm start`): resumes what a crash left running, then serves the chat surfaces
// until SIGINT/SIGTERM, and shuts down in order so nothing saved is lost.
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { createRuntime } from "./runtime.ts";

export async function startBot(config: Config, options: { logger: Logger }): Promise<number> {
  const { logger } = options;
  const runtime = await createRuntime(config, { logger });
  const resumed = await runtime.engine.recover();
  logger.info({ resumed: resumed.length, provider: runtime.model.name }, "staffroom started");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await runtime.close();
  return 0;
}
