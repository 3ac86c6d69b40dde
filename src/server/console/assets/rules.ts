/**
 * The rules console's browser script (`/rules`, `/rules/:id`), served as
 * /assets/rules.js after app.js on those pages only. It signs in and calls the
 * API through what app.js lends it (`window.robosre`: the same token, the
 * same `h()` that puts server data into the DOM as text only), and keeps the
 * same rules as app.ts: no markup from data, no backticks, `${` or
 * backslashes (`test/console/routes.test.ts` checks both scripts).
 */
export const RULES_JS = String.raw`'use strict';
(function () {
  var R = window.robosre;
  var api = R.api;
  var h = R.h;
  var ENVIRONMENTS = ['demo', 'staging', 'production'];
  var ruleId = document.body.getAttribute('data-rule-id');

  function path(id) { return '/api/rules/' + encodeURIComponent(id); }
  function show(el, text) {
    el.textContent = text || '';
    el.hidden = !text;
  }
  function refused(error) {
    return error.status === 401 ? 'Sign in to see the rules.' : error.message;
  }

  // --- /rules: every layer at a glance, and the changes a guard holds ---------
  function listView() {
    var rows = document.getElementById('rule-rows');
    var message = document.getElementById('rules-message');
    var changes = h('section', { id: 'rule-changes', 'aria-labelledby': 'changes-title' });
    document.getElementById('main').append(changes);
    function marks(entry) {
      var out = [];
      if (entry.overriddenBy) out.push('overridden by custom');
      if (entry.overrides) out.push('overrides file');
      if (entry.tunedBy && entry.tunedBy.length) out.push('tuned by ' + entry.tunedBy.join(', '));
      if (entry.rule.mode === 'shadow') out.push('shadow');
      return out.join('; ');
    }
    function row(entry) {
      return h('tr', { 'data-rule': entry.id },
        h('td', {}, h('a', { href: '/rules/' + encodeURIComponent(entry.id) }, entry.id)),
        h('td', {}, entry.layer),
        h('td', {}, entry.rule.incidentType),
        ENVIRONMENTS.map(function (env) {
          var on = entry.environments[env];
          return h('td', { 'data-env': env, class: on ? 'on' : 'off' }, on ? 'on' : 'off');
        }),
        h('td', { class: 'marks' }, marks(entry)));
    }
    function pending(list) {
      changes.replaceChildren();
      if (!list.length) return;
      var note = h('p', { role: 'status' });
      changes.append(h('h2', { id: 'changes-title' }, 'Changes waiting for a second admin'),
        h('ul', {}, list.map(function (c) {
          var reason = h('input', { type: 'text', 'aria-label': 'Reason for change ' + c.id, placeholder: 'reason', maxlength: 500 });
          function decide(verb) {
            api('POST', '/api/rules/changes/' + c.id + '/' + verb, { reason: reason.value.trim() }).then(load, function (e) { note.textContent = e.message; });
          }
          var confirm = h('button', { type: 'button' }, 'Confirm');
          var reject = h('button', { type: 'button' }, 'Reject');
          confirm.addEventListener('click', function () { decide('confirm'); });
          reject.addEventListener('click', function () { decide('reject'); });
          return h('li', { 'data-change': c.id }, '#' + c.id + ' ' + c.kind + ' ' + c.ruleId + ' by ' + c.requestedBy + ' (' + c.reason + '); guards: ',
            c.guards.map(function (g) { return g.kind; }).join(', '), ' ', reason, ' ', confirm, ' ', reject);
        })), note);
    }
    function load() {
      return api('GET', '/api/rules').then(function (data) {
        rows.replaceChildren.apply(rows, data.rules.map(row));
        show(message, data.rules.length ? '' : 'No rules.');
        return api('GET', '/api/rules/changes').then(function (c) { pending(c.changes); });
      }, function (error) {
        rows.replaceChildren();
        show(message, refused(error));
      });
    }
    R.onSession(load);
    load();
  }

  // --- /rules/:id and /rules/new: the rule, its editor and its trials -----------
  var TEMPLATE = { id: '', name: '', enabled: true, incidentType: 'crash_loop_backoff', environmentScope: ['staging'], severity: 'warning' };

  function ruleView(id) {
    var isNew = id === 'new';
    var article = document.getElementById('rule');
    var message = document.getElementById('rule-message');
    var entry = null;
    var facts = h('dl', { class: 'facts', id: 'rule-facts' });
    var text = h('textarea', { id: 'rule-json', rows: 18, cols: 80, spellcheck: 'false', 'aria-describedby': 'rule-problems' });
    var reason = h('input', { id: 'rule-reason', type: 'text', required: true, maxlength: 500 });
    var problems = h('div', { id: 'rule-problems', class: 'error', role: 'alert', hidden: true });
    var outcome = h('div', { id: 'rule-outcome', role: 'status' });
    var envs = h('p', { id: 'rule-environments' });
    var preview = h('section', { id: 'rule-preview' });
    var trial = h('section', { id: 'rule-test' });
    var history = h('section', { id: 'rule-history' });
    var shadow = h('section', { id: 'rule-shadow' });
    function button(label, onClick) {
      var b = h('button', { type: 'button' }, label);
      b.addEventListener('click', onClick);
      return b;
    }
    var saveButton = h('button', { type: 'submit' }, 'Save');
    var editor = h('form', { id: 'rule-editor', novalidate: true },
      h('h2', {}, 'Edit as JSON'),
      h('label', { for: 'rule-json' }, 'Rule'), h('br'), text, problems,
      h('p', {}, h('label', { for: 'rule-reason' }, 'Reason '), reason),
      h('p', { class: 'buttons' }, saveButton, ' ',
        button('Preview', doPreview), ' ',
        button('Test against the last 7 days', doTest)));
    var extra = h('p', { class: 'buttons' });

    function candidate() {
      try {
        return JSON.parse(text.value);
      } catch (error) {
        showProblems(['not JSON: ' + error.message]);
        return undefined;
      }
    }
    function showProblems(list) {
      problems.replaceChildren();
      if (list.length) problems.append(h('ul', {}, list.map(function (p) { return h('li', {}, p); })));
      problems.hidden = !list.length;
    }
    function fail(error) {
      var body = error.body && error.body.error;
      if (body && body.code === 'rule_conflict') {
        showProblems(['This rule changed meanwhile (now version ' + body.currentVersion + '): reload the page to edit the current one.']);
      } else showProblems(body && body.problems ? body.problems : [error.message]);
    }
    function needReason() {
      if (reason.value.trim()) return reason.value.trim();
      showProblems(['A reason is required for every change.']);
      reason.focus();
      return null;
    }
    // A change a blast-radius guard held is stored nowhere but in the pending list.
    function applied(result) {
      showProblems([]);
      if (result && result.status === 'confirmation_required') {
        var c = result.change;
        outcome.replaceChildren(h('p', { 'data-held': c.id }, 'Held for a second admin: change #' + c.id + ' (' + c.kind + ', expires ', R.stamp(new Date(c.expiresAt).toISOString()), '); guards:'),
          h('ul', {}, c.guards.map(function (g) { return h('li', {}, JSON.stringify(g)); })));
        return;
      }
      if (result && result.id && result.id !== id) {
        window.location.assign('/rules/' + encodeURIComponent(result.id));
        return;
      }
      outcome.replaceChildren(h('p', {}, 'Saved.'));
      load();
    }

    function save(event) {
      event.preventDefault();
      var rule = candidate();
      if (rule === undefined) return;
      var why = needReason();
      if (!why) return;
      var request = isNew ? api('POST', '/api/rules', { reason: why, rule: rule }) : api('PUT', path(id), { reason: why, rule: rule });
      request.then(applied, fail);
    }
    function doPreview() {
      var rule = candidate();
      if (rule === undefined) return;
      api('POST', '/api/rules/preview', { rule: rule }).then(function (p) {
        showProblems([]);
        preview.replaceChildren(h('h2', {}, 'Preview: what it decides' + (p.changed ? ' (changes decisions)' : ' (no change)')),
          h('table', { class: 'decisions' },
            h('thead', {}, h('tr', {}, ['Action', 'Environment', 'Today', 'With this rule'].map(function (c) { return h('th', { scope: 'col' }, c); }))),
            h('tbody', {}, p.rows.map(function (r) {
              return h('tr', { class: r.changed ? 'changed' : null, 'data-action': r.action, 'data-env': r.environment },
                h('td', {}, r.action), h('td', {}, r.environment),
                h('td', { title: r.today.reasons.join(' ') }, r.today.decision),
                h('td', { title: r.candidate.reasons.join(' ') }, r.candidate.decision));
            }))));
      }, fail);
    }
    function doTest() {
      var rule = candidate();
      if (rule === undefined) return;
      trial.replaceChildren(h('p', { class: 'muted' }, 'Replaying…'));
      api('POST', '/api/rules/test', { rule: rule, days: 7 }).then(function (t) {
        showProblems([]);
        trial.replaceChildren(h('h2', {}, 'Test against the last 7 days'),
          h('p', { id: 'test-summary' }, 'Scanned ' + t.scanned + ', matched ' + t.matched + ', changed ' + t.changed + ', failed ' + t.failed + (t.capped ? ' (capped)' : '')),
          h('ul', {}, t.incidents.map(function (i) {
            return h('li', { 'data-incident': i.id }, h('a', { href: i.link }, '#' + i.id + ' ' + i.title), ' — ',
              (i.matched ? 'matched' : 'not matched'), i.changed.length ? '; changed: ' + i.changed.join(', ') : '');
          })));
      }, function (error) { trial.replaceChildren(); fail(error); });
    }

    function renderHistory(revisions) {
      var newest = revisions.length ? revisions[revisions.length - 1].version : 0;
      history.replaceChildren(h('h2', {}, 'History'), h('ol', { reversed: true }, revisions.slice().reverse().map(function (r) {
        return h('li', { 'data-version': r.version },
          h('strong', {}, 'v' + r.version + ' ' + r.change), ' by ', h('span', { class: 'by' }, r.by),
          r.confirmedBy ? ' (confirmed by ' + r.confirmedBy + ')' : '', ' at ', R.stamp(new Date(r.at).toISOString()),
          ': ', h('q', { class: 'reason' }, r.reason),
          h('ul', { class: 'diff' }, r.diff.map(function (d) {
            return h('li', {}, d.path + ': ' + JSON.stringify(d.before) + ' → ' + JSON.stringify(d.after));
          })),
          r.version === newest ? null : button('Restore v' + r.version, function () {
            var why = needReason();
            if (why) api('POST', path(id) + '/restore', { reason: why, version: entry.rule.version, revision: r.version }).then(applied, fail);
          }));
      })));
    }
    function renderShadow(s) {
      shadow.replaceChildren(h('h2', {}, 'Shadow results'),
        h('p', {}, 'Evaluated ' + s.evaluated + ' incidents; ' + s.divergences.length + ' diverged.'),
        h('ul', {}, s.divergences.map(function (d) {
          return h('li', {}, h('a', { href: d.url }, '#' + d.incidentId), ' v' + d.ruleVersion + ': ',
            d.differences.map(function (x) { return x.what + ' ' + JSON.stringify(x.live) + ' → ' + JSON.stringify(x.shadow); }).join('; '));
        })),
        button('Promote to live', function () {
          var why = needReason();
          if (why) api('POST', path(id) + '/promote', { reason: why, version: entry.rule.version }).then(applied, fail);
        }));
    }

    function render(e) {
      entry = e;
      var r = e.rule;
      facts.replaceChildren.apply(facts, [
        ['Layer', e.layer + (e.readOnly ? ' (read-only)' : '')], ['Name', r.name], ['Incident type', r.incidentType],
        ['Severity', r.severity], ['Version', r.version], ['Mode', r.mode || 'live'],
        ['Environments', ENVIRONMENTS.filter(function (env) { return e.environments[env]; }).join(', ') || 'none'],
        ['Marks', [e.overriddenBy ? 'overridden by custom' : '', e.overrides ? 'overrides file' : '', e.tunedBy && e.tunedBy.length ? 'tuned by ' + e.tunedBy.join(', ') : ''].filter(Boolean).join('; ') || 'none'],
        ['Updated', e.updatedBy ? [e.updatedBy, ' ', R.stamp(new Date(e.updatedAt).toISOString())] : null]
      ].filter(function (f) { return f[1] !== undefined && f[1] !== null; }).map(function (f) { return [h('dt', {}, f[0]), h('dd', {}, f[1])]; }).flat());
      text.value = JSON.stringify(r, null, 2);
      extra.replaceChildren();
      envs.replaceChildren();
      history.replaceChildren();
      shadow.replaceChildren();
      if (e.readOnly) {
        extra.append(button('Clone into a custom rule', function () {
          var why = needReason();
          if (why) api('POST', path(id) + '/clone', { reason: why }).then(applied, fail);
        }));
        return;
      }
      ENVIRONMENTS.forEach(function (env) {
        var on = e.environments[env];
        envs.append(button((on ? 'Disable in ' : 'Enable in ') + env, function () {
          var why = needReason();
          if (why) api('PUT', path(id) + '/environments/' + env, { reason: why, version: r.version, enabled: !on }).then(applied, fail);
        }), ' ');
      });
      api('GET', path(id) + '/history').then(function (data) { renderHistory(data.revisions); }, fail);
      if (r.mode === 'shadow') api('GET', path(id) + '/shadow').then(renderShadow, fail);
    }
    function load() {
      if (isNew) return;
      api('GET', path(id)).then(function (e) {
        show(message, '');
        article.setAttribute('aria-busy', 'false');
        render(e);
      }, function (error) { show(message, refused(error)); });
    }

    editor.addEventListener('submit', save);
    article.append(facts, envs, extra, editor, outcome, preview, trial, shadow, history);
    if (isNew) {
      text.value = JSON.stringify(TEMPLATE, null, 2);
      show(message, '');
      article.setAttribute('aria-busy', 'false');
    }
    R.onSession(load);
    load();
  }

  if (ruleId === null) listView();
  else ruleView(ruleId);
})();
`;
