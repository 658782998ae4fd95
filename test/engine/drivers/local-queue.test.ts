// The local (in-process) WorkQueue driver against the conformance suite.
import { LocalWorkQueue } from "../../../src/engine/queue/local.ts";
import { describeWorkQueue } from "./queue-conformance.ts";

describeWorkQueue("local", async () => ({ queue: new LocalWorkQueue({ retryDelayMs: 50 }) }));
