// Boots the fake Discord in a worker thread (TypeScript through tsx), so a benchmark's "Discord" does not
// share a thread with the client it measures, as the real one would not.
import { register } from "tsx/esm/api";

register();
await import("./worker-main.ts");
