#!/usr/bin/env node
// Entry point of the `staffroom` bin: loads TypeScript sources through tsx, then runs the CLI.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
