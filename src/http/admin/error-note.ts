// What the dashboard says about a failed step or execution. A model endpoint's error text can echo the
// request (the prompt, so teacher text), so for model errors the page shows the stable code and a fixed
// sentence, never the message; the server log keeps the detail. The app's own errors keep their sentence.

const MODEL_SENTENCES: Record<string, string> = {
  model_unavailable: "The model endpoint could not be reached or had a server error.",
  model_rate_limited: "The model endpoint was rate limiting requests (HTTP 429).",
  model_request_rejected: "The model endpoint rejected the request; the server log has its status.",
  model_output_invalid: "The model's answer did not have the expected shape.",
};

/** Codes whose message may carry another system's text (a child's message is copied into its parent's). */
const FOREIGN_TEXT: Record<string, string> = {
  subworkflow_failed: "A sub-workflow failed; open it to see which step.",
  internal_error: "Something went wrong on our side; the server log has the details.",
};

/** The sentence to show for an error: fixed for model (and other foreign-text) codes, the message otherwise. */
export function errorNote(error: { code: string; message: string }): string {
  const fixed = MODEL_SENTENCES[error.code] ?? FOREIGN_TEXT[error.code];
  if (fixed) return fixed;
  if (error.code.startsWith("model_")) return "The model call failed; the server log has the details.";
  return error.message;
}
