// What a teacher key may touch: only its own teacher's executions (see the grammar in ../auth.ts). The one
// place routes ask; admin and unscoped keys pass every check.

import { shorten } from "../../util/shorten.ts";
import type { ApiScope } from "../auth.ts";
import { HttpProblem } from "../problem.ts";
import { shortId } from "./params.ts";

/** Who a request acts as: the key's scope and, for a teacher key, its teacher. */
export type Access = { scope: ApiScope; userId?: string };

/** The teacher a key is bound to; undefined for keys that see every teacher. */
export function boundTeacher(access: Access): string | undefined {
  return access.scope === "teacher" ? access.userId : undefined;
}

/** Refuses (403) an execution of another teacher than the key's. */
export function checkOwner(access: Access, execution: { id: string; userId: string }): void {
  const mine = boundTeacher(access);
  if (mine === undefined || execution.userId === mine) return;
  throw new HttpProblem(
    403,
    "not_your_execution",
    `Execution "${shortId(execution.id)}" belongs to another teacher; this API key reads and changes only its own teacher's executions.`,
  );
}

/** Refuses (403) acting for another teacher than the key's (starting, answering, listing as someone else). */
export function checkActingAs(access: Access, userId: string | undefined, field = "user_id"): void {
  const mine = boundTeacher(access);
  if (mine === undefined || userId === undefined || userId === mine) return;
  throw new HttpProblem(403, "not_your_user", `This API key acts only for user_id "${shorten(mine, 60)}"; send that ${field}.`, {
    errors: [{ field, message: `must be the key's own user_id "${shorten(mine, 60)}"` }],
  });
}
