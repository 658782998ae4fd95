// Pure parsing of the command line: command, positional words, --flags and key=value inputs.
import { InvalidInputError } from "../errors.ts";

export type ParsedArgs = {
  command: string;
  positionals: string[];
  flags: Record<string, string | true>;
};

/** Flags that take a value (`--limit 5` or `--limit=5`); every other flag is a switch. */
const VALUE_FLAGS = new Set(["limit", "status", "template", "user", "output", "out", "student", "since", "action"]);

export function parseArgs(argv: string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "-h") {
      flags.help = true;
      continue;
    }
    if (arg.startsWith("--") && arg.length > 2) {
      const eq = arg.indexOf("=");
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      if (eq !== -1) flags[name] = arg.slice(eq + 1);
      else if (VALUE_FLAGS.has(name)) {
        const value = argv[i + 1];
        if (value === undefined || value.startsWith("--"))
          throw new InvalidInputError(`The --${name} option needs a value, e.g. --${name}=...`);
        flags[name] = value;
        i++;
      } else flags[name] = true;
      continue;
    }
    positionals.push(arg);
  }
  const command = positionals.shift() ?? "help";
  return { command, positionals, flags };
}

/**
 * `key=value` words into an inputs object. A key given twice is a mistake worth reporting;
 * words without `=` are reported with an example of the expected shape.
 */
export function parseInputs(words: string[]): Record<string, string> {
  const inputs: Record<string, string> = {};
  const issues: { path: string; message: string }[] = [];
  for (const word of words) {
    const eq = word.indexOf("=");
    if (eq <= 0) {
      issues.push({ path: word, message: `"${word}" is not a key=value pair; write inputs like topic="equivalent fractions".` });
      continue;
    }
    const key = word.slice(0, eq).trim();
    if (key in inputs) issues.push({ path: key, message: `"${key}" is given twice; give each input once.` });
    inputs[key] = word.slice(eq + 1);
  }
  if (issues.length > 0) throw new InvalidInputError(issues.map((i) => i.message).join("; "), issues);
  return inputs;
}

export function flagNumber(flags: ParsedArgs["flags"], name: string, fallback: number): number {
  const value = flags[name];
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value === true || !Number.isInteger(n) || n < 1)
    throw new InvalidInputError(`The --${name} option should be a whole number above 0.`);
  return n;
}
