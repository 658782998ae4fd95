// How the feedback addresses the student: by first name, or a placeholder for the teacher to fill in when no
// name was given. Names are protected from the model at the boundary (src/privacy), not here.

export const PLACEHOLDER = "[STUDENT]";

/** The name to address the student by: their first name. */
export function addressName(name: string | undefined): string | undefined {
  const first = (name ?? "").trim().split(/\s+/)[0];
  return first && first.length > 0 ? first : undefined;
}
