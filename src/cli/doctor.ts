// `staffroom doctor`: prints one line per check, ✓ or ✗ with what to fix, and exits 0 when all pass, 1 otherwise.
import { type DoctorLine, runDoctor } from "../app/doctor.ts";
import type { ParsedArgs } from "./args.ts";
import type { CliIO } from "./commands.ts";

export function doctorText(lines: DoctorLine[]): string {
  return lines.map((l) => `${l.ok ? "✓" : "✗"} ${l.check}: ${l.text}`).join("\n");
}

export async function doctorCommand(env: NodeJS.ProcessEnv, args: ParsedArgs, io: CliIO): Promise<number> {
  const lines = await runDoctor(env);
  const ok = lines.every((l) => l.ok);
  if (args.flags.json) io.stdout.write(`${JSON.stringify({ ok, checks: lines }, null, 2)}\n`);
  else
    io.stdout.write(
      `${doctorText(lines)}\n${ok ? "Everything checked is fine." : "Fix the ✗ lines above, then run staffroom doctor again."}\n`,
    );
  return ok ? 0 : 1;
}
