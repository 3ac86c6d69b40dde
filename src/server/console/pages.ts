/**
 * The console's HTML shells. The server renders the frame (header, sign-in,
 * page skeleton); /assets/app.js fills it from the JSON API and keeps it live.
 * The only untrusted text rendered here is an incident's subject, escaped.
 */
import { INCIDENT_STATUSES, type Incident } from '../../engine/model.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

interface Layout {
  title: string;
  /** Which view app.js renders: `list` or `incident`. */
  page: 'list' | 'incident' | 'missing';
  /** Server time, so countdowns and ages are right even when the browser's clock is not. */
  now: number;
  body: string;
  incidentId?: number;
}

function layout({ title, page, now, body, incidentId }: Layout): string {
  const idAttr = incidentId === undefined ? '' : ` data-incident-id="${incidentId}"`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robosre-server-time" content="${now}">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/style.css">
<script src="/assets/app.js" defer></script>
</head>
<body data-page="${page}"${idAttr}>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/">robosre</a>
  <span id="live" class="live" role="status" aria-live="polite">offline</span>
  <div class="session">
    <form id="signin" class="signin" autocomplete="off">
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autocomplete="off" required spellcheck="false">
      <button type="submit">Sign in</button>
    </form>
    <p id="whoami" class="whoami" hidden>Signed in as <strong id="who"></strong> <button id="signout" type="button">Sign out</button></p>
    <p id="signin-error" class="error" role="alert" hidden></p>
  </div>
</header>
<div id="banner" class="banner" role="alert" hidden></div>
<p id="paused" class="paused" role="status" hidden></p>
<main id="main" tabindex="-1">
${body}
</main>
<noscript><p class="error">The console needs JavaScript; the same data is at <a href="/api/incidents">/api/incidents</a>.</p></noscript>
</body>
</html>
`;
}

export function listPage(now: number): string {
  const options = INCIDENT_STATUSES.map((s) => `<option value="${s}">${s}</option>`).join('');
  return layout({
    title: 'Incidents · robosre',
    page: 'list',
    now,
    body: `<div class="bar">
  <h1>Incidents</h1>
  <label class="filter">Status <select id="status-filter"><option value="">all</option>${options}</select></label>
</div>
<div class="scroll">
<table class="incidents">
  <caption class="visually-hidden">Incidents, newest first</caption>
  <thead><tr><th scope="col">#</th><th scope="col">Severity</th><th scope="col">Type</th><th scope="col">Subject</th><th scope="col">Status</th><th scope="col">Age</th><th scope="col" class="num">Occurrences</th></tr></thead>
  <tbody id="rows"></tbody>
</table>
</div>
<p id="list-message" class="muted">Loading…</p>`,
  });
}

export function incidentPage(incident: Incident, now: number): string {
  return layout({
    title: `#${incident.id} ${incident.subject} · robosre`,
    page: 'incident',
    incidentId: incident.id,
    now,
    body: `<p class="back"><a href="/">← All incidents</a></p>
<article id="incident" class="incident" aria-busy="true">
  <h1>Incident #${incident.id} <span class="subject">${escapeHtml(incident.subject)}</span></h1>
  <p id="incident-message" class="muted">Loading…</p>
</article>`,
  });
}

export function missingPage(id: number, now: number): string {
  return layout({
    title: 'Not found · robosre',
    page: 'missing',
    now,
    body: `<h1>No incident #${id}</h1><p><a href="/">Back to all incidents</a></p>`,
  });
}
