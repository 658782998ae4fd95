// Structured logging (pino). Message bodies and student names never go to info level: log ids and codes.
import pino from "pino";

export type Logger = pino.Logger;

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? "info";
  // Logs go to stderr so stdout stays clean for CLI results and the console chat.
  return pino(
    { level, base: undefined, redact: { paths: ["*.text", "*.inputs", "*.answer", "*.studentName"], censor: "[redacted]" } },
    (options.destination ?? process.stderr) as pino.DestinationStream,
  );
}

/** A logger that drops everything: tests and library callers that pass none. */
export const silentLogger: Logger = pino({ level: "silent" });
