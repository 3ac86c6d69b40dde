/**
 * The rules console's browser script (`/rules`, `/rules/:id`), served as
 * /assets/rules.js after app.js on those pages only (a rule's page loads the
 * form editor, rule-form.js, between them). It signs in and calls the
 * API through what app.js lends it (`window.robosre`: the same token, the
 * same `h()` that puts server data into the DOM as text only), and keeps the
 * same rules as app.ts: no markup from data, no backticks, `${` or
 * backslashes (`test/console/routes.test.ts` checks every script).
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
    transfer(load);
    R.onSession(load);
    // Another admin or the CLI changed a rule; and every (re)connection re-reads, as events sent while away are lost.
    R.on('rules', load);
    R.on('open', load);
    load();
  }

  // --- /rules: YAML import (pasted or uploaded) and export --------------------
  function transfer(reload) {
    var yaml = h('textarea', { id: 'import-yaml', rows: 8, cols: 80, spellcheck: 'false' });
    var file = h('input', { id: 'import-file', type: 'file', accept: '.yaml,.yml,application/yaml,text/yaml' });
    var reason = h('input', { id: 'import-reason', type: 'text', maxlength: 500 });
    var result = h('div', { id: 'import-result', role: 'status' });
    var problems = h('div', { id: 'import-problems', class: 'error', role: 'alert', hidden: true });
    var doImport = h('button', { type: 'button' }, 'Import');
    var doExport = h('button', { type: 'button' }, 'Export YAML');
    function refusals(list) {
      problems.replaceChildren();
      if (list.length) problems.append(h('ul', {}, list.map(function (p) { return h('li', {}, p); })));
      problems.hidden = !list.length;
    }
    file.addEventListener('change', function () {
      if (file.files && file.files[0]) file.files[0].text().then(function (t) { yaml.value = t; });
    });
    doImport.addEventListener('click', function () {
      result.replaceChildren();
      if (!reason.value.trim()) {
        refusals(['A reason is required for every change.']);
        return;
      }
      api('POST', '/api/rules/import', { reason: reason.value.trim(), yaml: yaml.value }).then(function (r) {
        refusals([]);
        if (r && r.status === 'confirmation_required') {
          result.append(h('p', { 'data-held': r.change.id }, 'Held for a second admin: change #' + r.change.id + ' (expires ',
            R.stamp(new Date(r.change.expiresAt).toISOString()), '); guards: ' + r.change.guards.map(function (g) { return g.kind; }).join(', ')));
        } else {
          result.append(h('p', {}, 'Imported: created ' + (r.created.join(', ') || 'none') + '; updated ' + (r.updated.join(', ') || 'none') +
            '; unchanged ' + (r.unchanged.join(', ') || 'none') + '.'));
        }
        reload();
      }, function (error) {
        var body = error.body && error.body.error;
        refusals(body && body.problems ? body.problems : [error.message]);
      });
    });
    // The export needs the token, so it is fetched and handed to the browser as a file.
    doExport.addEventListener('click', function () {
      R.text('/api/rules/export').then(function (t) {
        refusals([]);
        var link = h('a', { href: URL.createObjectURL(new Blob([t], { type: 'application/yaml' })), download: 'robosre-rules.yaml', hidden: true });
        document.body.append(link);
        link.click();
        link.remove();
        URL.revokeObjectURL(link.href);
      }, function (error) { refusals([refused(error)]); });
    });
    document.getElementById('main').append(h('section', { id: 'rule-transfer', 'aria-labelledby': 'transfer-title' },
      h('h2', { id: 'transfer-title' }, 'Import and export (YAML)'),
      h('p', { class: 'muted' }, 'The custom rules as a rules file: export writes them at their versions; import creates and updates what the file names and leaves the rest alone.'),
      h('p', {}, h('label', { for: 'import-yaml' }, 'Rules file'), h('br'), yaml),
      h('p', {}, h('label', { for: 'import-file' }, 'or upload '), file),
      h('p', {}, h('label', { for: 'import-reason' }, 'Reason '), reason),
      h('p', { class: 'buttons' }, doImport, ' ', doExport), problems, result));
  }

  // --- /rules/:id and /rules/new: the rule, its editor and its trials -----------
  var TEMPLATE = { id: '', name: '', enabled: true, incidentType: 'crash_loop_backoff', environmentScope: ['staging'], severity: 'warning', owner: '' };

  function ruleView(id) {
    var isNew = id === 'new';
    var article = document.getElementById('rule');
    var message = document.getElementById('rule-message');
    var entry = null;
    // What the form held when the rule was last shown: anything else is an unsaved edit.
    var baseline = null;
    var saving = false;
    // Once the page is on its way to another (after a delete or a rename), rule events are no longer its business.
    var leaving = false;
    var jsonBroken = null;
    // The JSON as typed, when it parses but the form cannot hold it.
    var rawRule = null;
    var form = null;
    var facts = h('dl', { class: 'facts', id: 'rule-facts' });
    var stale = h('div', { id: 'rule-stale', class: 'banner', role: 'alert', hidden: true });
    var text = h('textarea', { id: 'rule-json', rows: 18, cols: 80, spellcheck: 'false', 'aria-describedby': 'rule-json-error' });
    var jsonError = h('p', { id: 'rule-json-error', class: 'error', hidden: true });
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
    var formSlot = h('div', {}, h('p', { class: 'muted' }, 'Loading the editor…'));
    var editor = h('form', { id: 'rule-editor', novalidate: true },
      h('h2', {}, 'Edit'), formSlot, problems,
      h('p', {}, h('label', { for: 'rule-reason' }, 'Reason '), reason),
      h('p', { class: 'buttons' }, saveButton, ' ',
        button('Preview', doPreview), ' ',
        button('Test against the last 7 days', doTest)),
      h('details', { id: 'rule-advanced' }, h('summary', {}, 'Advanced: the rule as JSON'),
        h('p', { class: 'muted' }, 'The same rule as the form; an edit in either shows in the other.'),
        h('label', { for: 'rule-json' }, 'Rule as JSON'), h('br'), text, jsonError));
    var extra = h('p', { class: 'buttons' });

    // The form changed: the JSON follows.
    function formEdited() {
      if (!form) return;
      jsonBroken = null;
      rawRule = null;
      show(jsonError, '');
      text.value = JSON.stringify(form.value(), null, 2);
    }
    // The JSON changed: the form follows when it parses; until then the JSON is what is wrong.
    text.addEventListener('input', function () {
      var parsed;
      try {
        parsed = JSON.parse(text.value);
      } catch (error) {
        jsonBroken = 'not JSON: ' + error.message;
        show(jsonError, jsonBroken);
        return;
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        jsonBroken = 'the rule is a JSON object';
        show(jsonError, jsonBroken);
        return;
      }
      jsonBroken = null;
      show(jsonError, '');
      try {
        form.fill(parsed);
        rawRule = null;
      } catch (error) {
        // A field of the wrong shape (a string where a list goes): the API, not the form, says what is wrong.
        rawRule = parsed;
        show(jsonError, 'The form cannot show this rule (' + error.message + '); Save, Preview and Test send the JSON as typed.');
      }
    });
    function showRule(rule) {
      form.fill(rule);
      text.value = JSON.stringify(form.value(), null, 2);
      jsonBroken = null;
      rawRule = null;
      show(jsonError, '');
      baseline = text.value;
    }
    function dirty() { return form !== null && (jsonBroken !== null || rawRule !== null || JSON.stringify(form.value(), null, 2) !== baseline); }

    function candidate() {
      if (jsonBroken) {
        showProblems([jsonBroken]);
        return undefined;
      }
      return rawRule || form.value();
    }
    function showProblems(list) {
      problems.replaceChildren();
      if (list.length) problems.append(h('ul', {}, list.map(function (p) { return h('li', {}, p); })));
      problems.hidden = !list.length;
      if (form) form.mark(list);
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
    // While our own change is on its way, its rules event is ours: the answer re-reads the rule.
    function change(request) {
      saving = true;
      return request.then(function (result) { saving = false; return result; }, function (error) { saving = false; throw error; });
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
        leaving = true;
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
      change(isNew ? api('POST', '/api/rules', { reason: why, rule: rule }) : api('PUT', path(id), { reason: why, rule: rule })).then(applied, fail);
    }
    function remove() {
      var why = needReason();
      if (!why) return;
      change(api('DELETE', path(id), { reason: why, version: entry.rule.version })).then(function () {
        leaving = true;
        window.location.assign('/rules');
      }, fail);
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
            if (why) change(api('POST', path(id) + '/restore', { reason: why, version: entry.rule.version, revision: r.version })).then(applied, fail);
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
          if (why) change(api('POST', path(id) + '/promote', { reason: why, version: entry.rule.version })).then(applied, fail);
        }));
    }

    function render(e) {
      entry = e;
      var r = e.rule;
      show(stale, '');
      facts.replaceChildren.apply(facts, [
        ['Layer', e.layer + (e.readOnly ? ' (read-only)' : '')], ['Name', r.name], ['Incident type', r.incidentType],
        ['Severity', r.severity], ['Version', r.version], ['Mode', r.mode || 'live'],
        ['Environments', ENVIRONMENTS.filter(function (env) { return e.environments[env]; }).join(', ') || 'none'],
        ['Marks', [e.overriddenBy ? 'overridden by custom' : '', e.overrides ? 'overrides file' : '', e.tunedBy && e.tunedBy.length ? 'tuned by ' + e.tunedBy.join(', ') : ''].filter(Boolean).join('; ') || 'none'],
        ['Updated', e.updatedBy ? [e.updatedBy, ' ', R.stamp(new Date(e.updatedAt).toISOString())] : null]
      ].filter(function (f) { return f[1] !== undefined && f[1] !== null; }).map(function (f) { return [h('dt', {}, f[0]), h('dd', {}, f[1])]; }).flat());
      showRule(r);
      extra.replaceChildren();
      envs.replaceChildren();
      history.replaceChildren();
      shadow.replaceChildren();
      if (e.readOnly) {
        extra.append(button('Clone into a custom rule', function () {
          var why = needReason();
          if (why) change(api('POST', path(id) + '/clone', { reason: why })).then(applied, fail);
        }));
        return;
      }
      ENVIRONMENTS.forEach(function (env) {
        var on = e.environments[env];
        envs.append(button((on ? 'Disable in ' : 'Enable in ') + env, function () {
          var why = needReason();
          if (why) change(api('PUT', path(id) + '/environments/' + env, { reason: why, version: r.version, enabled: !on })).then(applied, fail);
        }), ' ');
      });
      extra.append(button('Delete', remove));
      api('GET', path(id) + '/history').then(function (data) { renderHistory(data.revisions); }, fail);
      if (r.mode === 'shadow') api('GET', path(id) + '/shadow').then(renderShadow, fail);
    }
    function load() {
      if (isNew || !form) return;
      api('GET', path(id)).then(function (e) {
        show(message, '');
        article.setAttribute('aria-busy', 'false');
        render(e);
      }, function (error) { show(message, refused(error)); });
    }
    // Someone changed the rules (another admin, the CLI): show the new rule, unless that would drop unsaved edits.
    function changedElsewhere() {
      if (isNew || !entry || saving || leaving) return;
      api('GET', path(id)).then(function (e) {
        if (saving || leaving || (e.layer === entry.layer && e.rule.version === entry.rule.version)) return;
        if (!dirty()) {
          render(e);
          return;
        }
        stale.replaceChildren(h('span', {}, 'This rule was changed by someone else (now ' + e.layer + ' version ' + e.rule.version + '); your edits are not saved. '),
          button('Reload', function () { render(e); }));
        stale.hidden = false;
      }, function (error) {
        if (error.status !== 404) return;
        stale.replaceChildren(h('span', {}, 'This rule was deleted by someone else. '), h('a', { href: '/rules' }, 'All rules'));
        stale.hidden = false;
      });
    }

    editor.addEventListener('submit', save);
    article.append(stale, facts, envs, extra, editor, outcome, preview, trial, shadow, history);
    // The pickers need the catalog: the form is built once it is read (it needs a token, as every rules read).
    function start() {
      if (form) return;
      api('GET', '/api/rules/catalog').then(function (catalog) {
        if (form) return;
        form = R.ruleForm(catalog, isNew, formEdited);
        formSlot.replaceChildren(form.el);
        if (isNew) {
          showRule(TEMPLATE);
          show(message, '');
          article.setAttribute('aria-busy', 'false');
        } else load();
      }, function (error) { show(message, refused(error)); });
    }
    R.onSession(function () { if (form) load(); else start(); });
    R.on('rules', changedElsewhere);
    R.on('open', changedElsewhere);
    start();
  }

  if (ruleId === null) listView();
  else ruleView(ruleId);
})();
`;
