// What each part of the process is doing right now (store, Slack, Discord, ...), shared by start-up, which
// writes it as surfaces connect, and the HTTP layer, which reads it for /readyz and the admin pages.

export type PartState = "connecting" | "retrying" | "ready" | "failed" | "stopping";

export type PartStatus = {
  state: PartState;
  ready: boolean;
  /** One sentence for an administrator: what is happening, or what failed and how to fix it. */
  detail?: string;
  /** Connection attempts so far (surfaces). */
  attempts?: number;
  /** When the part entered this state (ISO 8601). */
  since: string;
};

/** The /readyz view: one boolean per part, plus details for the parts that are not ready. */
export type ReadinessReport = {
  ready: boolean;
  checks: Record<string, boolean>;
  /** Parts still connecting or retrying, e.g. ["slack"]. */
  connecting: string[];
  details: Record<string, PartStatus>;
};

export class Readiness {
  private readonly parts = new Map<string, PartStatus>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Records a part's state; `detail` and `attempts` describe it (omitted: cleared). */
  set(name: string, state: PartState, extra: { detail?: string; attempts?: number } = {}): void {
    const previous = this.parts.get(name);
    this.parts.set(name, {
      state,
      ready: state === "ready",
      ...(extra.detail ? { detail: extra.detail } : {}),
      ...(extra.attempts !== undefined ? { attempts: extra.attempts } : {}),
      since: previous?.state === state ? previous.since : this.now().toISOString(),
    });
  }

  get(name: string): PartStatus | undefined {
    return this.parts.get(name);
  }

  names(): string[] {
    return [...this.parts.keys()];
  }

  /** Every part's status, for the HTTP layer's readiness callback. */
  statuses(): Record<string, PartStatus> {
    return Object.fromEntries([...this.parts].map(([name, status]) => [name, { ...status }]));
  }
}

/** The /readyz body from plain checks (true/false, e.g. a live store ping) and part statuses. */
export function readinessReport(parts: Record<string, boolean | PartStatus>): ReadinessReport {
  const checks: Record<string, boolean> = {};
  const details: Record<string, PartStatus> = {};
  const connecting: string[] = [];
  for (const [name, part] of Object.entries(parts)) {
    if (typeof part === "boolean") {
      checks[name] = part;
      continue;
    }
    checks[name] = part.ready;
    details[name] = part;
    if (part.state === "connecting" || part.state === "retrying") connecting.push(name);
  }
  return { ready: Object.values(checks).every(Boolean), checks, connecting, details };
}
