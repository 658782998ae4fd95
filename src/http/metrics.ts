// HTTP request metrics on the shared registry: count and duration by route template (never raw URLs,
// which would carry ids and grow the label set without bound).
import { Counter, Histogram } from "prom-client";
import { registry } from "../metrics.ts";

export const httpRequestsTotal = new Counter({
  name: "staffroom_http_requests_total",
  help: "HTTP requests answered, by route template, method and status.",
  labelNames: ["route", "method", "status"] as const,
  registers: [registry],
});

export const httpRequestDurationSeconds = new Histogram({
  name: "staffroom_http_request_duration_seconds",
  help: "Time to answer HTTP requests (until the response ends; SSE streams excluded).",
  labelNames: ["route", "method"] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30],
  registers: [registry],
});
