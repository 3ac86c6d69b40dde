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
  /** Which view app.js (or, for the rules views, rules.js) renders. */
  page: 'list' | 'incident' | 'missing' | 'rules' | 'rule' | 'signin';
  /** Server time, so countdowns and ages are right even when the browser's clock is not. */
  now: number;
  body: string;
  incidentId?: number;
  /** The rule a `rule` page shows; `new` for a rule not yet stored. */
  ruleId?: string;
}

function layout({ title, page, now, body, incidentId, ruleId }: Layout): string {
  const idAttr =
    (incidentId === undefined ? '' : ` data-incident-id="${incidentId}"`) + (ruleId === undefined ? '' : ` data-rule-id="${escapeHtml(ruleId)}"`);
  // The rules views load their own script after app.js, which lends them its sign-in and API calls.
  const rulesScript = page === 'rules' ? '\n<script src="/assets/rules.js" defer></script>' : page === 'rule' ? '\n<script src="/assets/rule-form.js" defer></script>\n<script src="/assets/rules.js" defer></script>' : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robosre-server-time" content="${now}">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/style.css">
<script src="/assets/app.js" defer></script>${rulesScript}
</head>
<body data-page="${page}"${idAttr}>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/">robosre</a>
  <nav class="nav"><a href="/">Incidents</a> <a href="/rules">Rules</a></nav>
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

/** What a reader not signed in gets for any page: the header's sign-in form, and no incident data. */
export function signInPage(now: number): string {
  return layout({
    title: 'Sign in · robosre',
    page: 'signin',
    now,
    body: `<h1>Sign in</h1>
<p>Sign in with your API token (above) to see incidents, approvals and rules.</p>`,
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

export function rulesPage(now: number): string {
  return layout({
    title: 'Rules · robosre',
    page: 'rules',
    now,
    body: `<div class="bar">
  <h1>Rules</h1>
  <a href="/rules/new">New rule</a>
</div>
<div class="scroll">
<table class="rules">
  <caption class="visually-hidden">Rules of every layer</caption>
  <thead><tr><th scope="col">Id</th><th scope="col">Layer</th><th scope="col">Incident type</th><th scope="col">demo</th><th scope="col">staging</th><th scope="col">production</th><th scope="col">Marks</th></tr></thead>
  <tbody id="rule-rows"></tbody>
</table>
</div>
<p id="rules-message" class="muted">Loading…</p>`,
  });
}

/** `id` is checked by the route (the API's rule id pattern) and escaped here all the same. */
export function rulePage(id: string, now: number): string {
  return layout({
    title: `${id === 'new' ? 'New rule' : `Rule ${id}`} · robosre`,
    page: 'rule',
    ruleId: id,
    now,
    body: `<p class="back"><a href="/rules">← All rules</a></p>
<article id="rule" class="rule" aria-busy="true">
  <h1>${id === 'new' ? 'New rule' : `Rule <span class="subject">${escapeHtml(id)}</span>`}</h1>
  <p id="rule-message" class="muted">Loading…</p>
</article>`,
  });
}
