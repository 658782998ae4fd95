// Safe HTML building for the admin pages: a tagged template that escapes every interpolated value unless it
// is already Html (built here), and the page frame with its navigation. Pure: strings in, strings out.

/** Markup built by `html`; interpolating it does not escape it again. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return "";
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(render).join("");
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? "");
  });
  return new Html(out);
}

/** Trusted markup produced by our own renderers (SVG charts). */
export const raw = (text: string): Html => new Html(text);

export type NavItem = { href: string; label: string };
export const NAV: NavItem[] = [
  { href: "/admin", label: "Overview" },
  { href: "/admin/executions", label: "Executions" },
  { href: "/admin/stats", label: "Stats" },
  { href: "/admin/templates", label: "Templates and standards" },
  { href: "/admin/audit", label: "Audit log" },
];

export type Frame = { title: string; current?: string; csrf?: string; body: Html; flash?: string };

/** The page frame: skip link, navigation (marking the current page), sign-out form with its CSRF token. */
export function page(frame: Frame): string {
  const nav = frame.csrf
    ? html`<nav aria-label="Main"><ul>${NAV.map(
        (n) => html`<li><a href="${n.href}"${n.href === frame.current ? raw(' aria-current="page"') : ""}>${n.label}</a></li>`,
      )}</ul>
      <form method="post" action="/admin/logout" class="signout"><input type="hidden" name="csrf" value="${frame.csrf}"><button type="submit">Sign out</button></form></nav>`
    : "";
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · Staffroom admin</title>
<link rel="stylesheet" href="/admin/assets/admin.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><p class="brand"><a href="/admin">Staffroom</a> <span>admin</span></p>${nav}</header>
<main id="main">
${frame.flash ? html`<p class="flash" role="status">${frame.flash}</p>` : ""}
<h1>${frame.title}</h1>
${frame.body}
</main>
</body>
</html>
`.text;
}

/** A status word with a colour class and a symbol, so the state never depends on colour alone. */
export function statusBadge(status: string): Html {
  const symbol: Record<string, string> = {
    completed: "✓",
    failed: "✗",
    cancelled: "⊘",
    running: "▶",
    waiting: "‖",
    pending: "…",
    skipped: "↷",
  };
  return html`<span class="badge s-${status}">${symbol[status] ?? "•"} ${status}</span>`;
}

export function formatTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "–";
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}
