// Admin routes about a teacher's data: DELETE /api/users/{user_id} runs the app's one forget (every owner
// of the teacher's data, from every surface, then their data key) and answers with the counts, never content.
import { HttpProblem } from "../problem.ts";
import type { PathParam } from "./params.ts";
import { json, type Route } from "./route.ts";

/** A teacher's id as the surfaces give it: Slack and Discord ids, console-name, cli:name, an API client's user_id. */
const USER_ID: PathParam = {
  description: "The teacher's user id, as executions list it (user_id).",
  pattern: "^[^/\\u0000-\\u001f]+$",
  maxLength: 200,
  looksLike: "the user_id as executions list it (up to 200 characters, no / or control characters; percent-encode others)",
};

export const userRoutes: Route[] = [
  {
    method: "DELETE",
    scope: "admin",
    path: "/api/users/{user_id}",
    operationId: "deleteUser",
    summary: "Delete everything kept about a teacher",
    description:
      "Deletes the teacher's executions (started from any surface, the CLI and this API included), chat records, conversations, profile, placeholder maps, saved documents, then their data key, so any copy left (backups, database WAL) cannot be read. Audited with the counts. Needs an admin key.",
    tag: "users",
    params: { user_id: USER_ID },
    responses: { 200: { description: "What was deleted, counted per kind of record.", component: "UserDeleted" } },
    async handle({ params, deps, keyId }) {
      if (!deps.forgetTeacher) throw new HttpProblem(501, "not_available", "Deleting a teacher's data is not available on this server.");
      const userId = params.user_id!;
      const deleted = await deps.forgetTeacher(userId, `api:${keyId}`);
      // Not even the cached view of a deleted execution is served again from this process.
      deps.views.clear();
      return json(200, { user_id: userId, deleted });
    },
  },
];
