#!/usr/bin/env node
import { resolve } from "node:path";
// Runs a TypeScript file (argv[2]) through tsx; used by `npm run bench` and crash tests.
import { pathToFileURL } from "node:url";
import { register } from "tsx/esm/api";

register();
const file = process.argv[2];
if (!file) {
  console.error("usage: run-ts <file.ts> [args...]");
  process.exit(2);
}
process.argv.splice(2, 1);
await import(pathToFileURL(resolve(file)).href);
