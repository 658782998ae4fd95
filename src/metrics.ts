// Prometheus metrics shared by every layer (served at GET /metrics). One registry per process.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export const registry = new Registry();
// prom-client already names these process_… and nodejs_…; the prefix only adds the staffroom_ namespace.
collectDefaultMetrics({ register: registry, prefix: "staffroom_" });

export const executionsTotal = new Counter({
  name: "staffroom_executions_total",
  help: "Executions that reached a final status, by template and status.",
  labelNames: ["template", "status"] as const,
  registers: [registry],
});

export const nodeDurationSeconds = new Histogram({
  name: "staffroom_node_duration_seconds",
  help: "Duration of finished workflow nodes.",
  labelNames: ["template", "node", "kind", "status"] as const,
  buckets: [0.005, 0.05, 0.25, 1, 2.5, 5, 10, 30, 60, 120],
  registers: [registry],
});

export const modelTokensTotal = new Counter({
  name: "staffroom_model_tokens_total",
  help: "Model tokens used, by provider and direction (input/output).",
  labelNames: ["provider", "direction"] as const,
  registers: [registry],
});

export const platformApiErrorsTotal = new Counter({
  name: "staffroom_platform_api_errors_total",
  help: "Errors answered by Slack or Discord APIs, by platform and error code.",
  labelNames: ["platform", "code"] as const,
  registers: [registry],
});

export const platformRateLimitedTotal = new Counter({
  name: "staffroom_platform_rate_limited_total",
  help: "HTTP 429 answers from Slack or Discord APIs that were waited out.",
  labelNames: ["platform"] as const,
  registers: [registry],
});

export const activeConversations = new Gauge({
  name: "staffroom_active_conversations",
  help: "Guided conversations currently collecting inputs.",
  labelNames: ["surface"] as const,
  registers: [registry],
});
