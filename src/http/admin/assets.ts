// The dashboard's one stylesheet, served from /admin/assets/admin.css (no build step, no inline styles, so
// the Content-Security-Policy can forbid inline code). High contrast; states carry a symbol, not only colour.
export const ADMIN_CSS = `
:root{--bg:#f6f7f9;--card:#fff;--ink:#1b1f24;--muted:#555d66;--line:#d5dae0;--accent:#1f5fbf;--ok:#1b7a3a;--bad:#b3261e;--warn:#8a5a00;--wait:#c98a00}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;background:var(--bg);color:var(--ink)}
a{color:var(--accent)}
a:focus,button:focus,input:focus,select:focus,summary:focus{outline:3px solid #ffbf47;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:8px;z-index:9}
header{background:#16324f;color:#fff;padding:10px 24px;display:flex;flex-wrap:wrap;align-items:center;gap:16px}
header a{color:#fff}
.brand{margin:0;font-weight:700;font-size:1.2rem}.brand a{text-decoration:none}.brand span{font-weight:400;opacity:.8}
nav{display:flex;flex-wrap:wrap;align-items:center;gap:12px;flex:1}
nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:4px}
nav li a{display:block;padding:6px 12px;border-radius:6px;text-decoration:none}
nav li a:hover{background:#24476d}nav li a[aria-current=page]{background:#fff;color:#16324f;font-weight:600}
.signout{margin-left:auto}
main{max-width:1100px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:1.6rem;margin:12px 0 16px}h2{font-size:1.2rem;margin:0 0 12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 20px;margin:0 0 16px}
.narrow{max-width:460px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px}
label{display:block;font-weight:600;margin:0 0 4px}
input,select{font:inherit;padding:8px 10px;border:1px solid #8a939c;border-radius:6px;background:#fff;color:var(--ink);min-width:12rem}
form .actions{align-self:end}
button{font:inherit;padding:8px 16px;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
button:hover{filter:brightness(1.1)}
button.danger{background:var(--bad);border-color:var(--bad)}
.signout button{background:transparent;border-color:#fff}
.card form input[type=password]{width:100%;margin-bottom:12px}
.filters{display:flex;flex-wrap:wrap;gap:12px 16px}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{text-align:left;padding:8px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#eef1f4;font-weight:600}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
.small{font-size:.85em}.muted{color:var(--muted)}.empty{color:var(--muted);font-style:italic}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:.85rem;font-weight:600;border:1px solid currentColor;white-space:nowrap}
.badge.s-completed{color:var(--ok)}.badge.s-failed{color:var(--bad)}.badge.s-cancelled{color:var(--muted)}
.badge.s-running{color:var(--accent)}.badge.s-waiting{color:var(--warn)}.badge.s-pending,.badge.s-skipped{color:var(--muted)}
.ok{color:var(--ok)}.bad{color:var(--bad)}.big{font-size:1.15rem;font-weight:600}
.health{list-style:none;padding:0;margin:0}.health li{padding:4px 0}.health .sym{font-weight:700}
.error{color:var(--bad);font-weight:600}
.flash{background:#e7f3ea;border:1px solid var(--ok);color:#0f4d24;padding:8px 12px;border-radius:6px}
.counts{display:flex;gap:24px;margin:0}.counts dt{color:var(--muted)}.counts dd{margin:0;font-size:1.8rem;font-weight:700}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:8px 16px;margin:0 0 12px}
.facts dt{color:var(--muted);font-size:.9rem}.facts dd{margin:0}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}
figure{margin:0}figcaption{color:var(--muted);font-size:.9rem;text-align:center}
.events{font-size:.9rem;max-height:320px;overflow:auto}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
svg.chart{max-width:100%;height:auto;font-family:inherit}
svg .grid{stroke:#e1e5ea;stroke-width:1}
svg .axis,svg .legend{fill:#555d66;font-size:12px}svg .label{fill:#1b1f24;font-size:13px}
svg .bar{fill:#6c9bd9}svg .rate{stroke:#1b7a3a;stroke-width:2.5}svg .rate-dot{fill:#1b7a3a}
svg .p50{fill:#6c9bd9}svg .p95{fill:#16324f}
svg .node{fill:#6c9bd9}svg .node.s-completed{fill:#2e8b57}svg .node.s-failed{fill:#c0392b}svg .node.s-running{fill:#1f5fbf}
svg .node.s-cancelled,svg .node.s-skipped{fill:#9aa3ad}svg .node.s-waiting{fill:#c98a00}
svg .wait{fill:#f3c65f;stroke:#c98a00;stroke-dasharray:4 2}svg .retry{stroke:#c0392b}svg .hatch{fill:#e59a92}
svg .marker{fill:#1b1f24;font-size:13px;font-weight:700}svg .pause{fill:#5c4300}svg .k-attempt{fill:#2e8b57}svg .k-retry{stroke:#c0392b}svg .k-wait{fill:#f3c65f;stroke:#c98a00}svg .k-p50,svg .k-bar{fill:#6c9bd9}svg .k-p95{fill:#16324f}svg .k-rate{fill:#1b7a3a}
@media (prefers-reduced-motion:reduce){*{transition:none!important}}
`;
