// The one duration formatter: every surface, the CLI and the admin pages show durations the same way,
// never in milliseconds ("0.3 s", "4.2 s", "2 min 5 s", "1 h 3 min").

/** A duration for people; "-" when unknown. Seconds are rounded before splitting, so 119.6 s is "2 min 0 s". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms) || ms < 0) return "-";
  // Tenths of a second below one second (never "0.0 s": a step that ran took some time).
  if (ms < 1000) return `${Math.max(0.1, Math.round(ms / 100) / 10).toFixed(1)} s`;
  if (ms < 59_950) return `${(ms / 1000).toFixed(1).replace(/\.0$/, "")} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
