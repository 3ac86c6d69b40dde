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

  // --- the form editor: a widget per field of the operator rule ---------------
  // The catalog (GET /api/rules/catalog) says what each picker offers; the
  // form keeps no list of its own. Every widget registers its rule path, so a
  // refusal's path (rule.severityEscalation.1.when) finds the field it is about.
  var KNOWN = ['id', 'name', 'enabled', 'domain', 'incidentType', 'environmentScope', 'signalSelector', 'thresholdExpression',
    'severity', 'severityEscalation', 'notificationPolicy', 'allowedActionProfile', 'cooldownSeconds', 'suppressionSchedule',
    'incidentTypeEnabled', 'mode', 'owner', 'version'];
  var COOLDOWNS = ['observationSeconds', 'duplicateSuppressionSeconds', 'sameActionRetrySeconds', 'disruptiveRetrySeconds'];

  function splitList(value) { return value.split(',').map(function (s) { return s.trim(); }).filter(Boolean); }
  function isBlank(value) {
    if (value === undefined || value === '') return true;
    if (Array.isArray(value)) return value.length === 0;
    return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
  }
  // An optional field left empty is left out, as the API wants it; a required one is refused there by name.
  function put(obj, key, value) {
    if (!isBlank(value)) obj[key] = value;
    return obj;
  }
  function domId(path) { return 'f-' + path.split('.').join('-'); }

  function ruleForm(catalog, isNew, onEdit) {
    var box = h('div', { id: 'rule-form' });
    var fields = {};
    var read = function () { return {}; };
    var unknown = {};

    function field(path, label, input) {
      var note = h('div', { class: 'field-error', id: domId(path) + '-error', 'data-error-for': path, hidden: true });
      input.id = domId(path);
      input.setAttribute('aria-describedby', note.id);
      fields[path] = { input: input, note: note };
      return h('div', { class: 'field', 'data-path': path }, h('label', { for: input.id }, label), ' ', input, note);
    }
    function group(path, label, children) {
      var note = h('div', { class: 'field-error', id: domId(path) + '-error', 'data-error-for': path, hidden: true });
      var set = h('fieldset', { class: 'group', id: domId(path), 'data-path': path, 'aria-describedby': note.id }, h('legend', {}, label), children, note);
      fields[path] = { input: null, note: note };
      return set;
    }
    function text(path, label, value, attrs) {
      var input = h('input', Object.assign({ type: 'text', spellcheck: 'false' }, attrs || {}));
      input.value = value === undefined ? '' : String(value);
      return { el: field(path, label, input), get: function () { return input.value.trim(); } };
    }
    // CEL is sent as typed: the API's offsets count from its first character.
    function cel(path, label, value) {
      var input = h('input', { type: 'text', class: 'cel', spellcheck: 'false', autocomplete: 'off' });
      input.value = value === undefined ? '' : value;
      return { el: field(path, label, input), get: function () { return input.value.trim() ? input.value : undefined; } };
    }
    function number(path, label, value) {
      var input = h('input', { type: 'number', step: 1, min: 0 });
      input.value = value === undefined ? '' : String(value);
      return { el: field(path, label, input), get: function () { return input.value === '' ? undefined : Number(input.value); } };
    }
    function list(path, label, values) {
      var input = h('input', { type: 'text', spellcheck: 'false', placeholder: 'comma-separated' });
      input.value = (values || []).join(', ');
      return { el: field(path, label, input), get: function () { return splitList(input.value); } };
    }
    // options: [value, label]; '' stands for "not set" where the field is optional.
    function select(path, label, options, value, onChange) {
      var input = h('select', {}, options.map(function (o) { return h('option', { value: o[0] }, o[1]); }));
      var known = options.some(function (o) { return o[0] === (value === undefined ? '' : String(value)); });
      if (value !== undefined && !known) input.append(h('option', { value: String(value) }, String(value) + ' (unknown)'));
      input.value = value === undefined ? options[0][0] : String(value);
      if (onChange) input.addEventListener('change', onChange);
      return { el: field(path, label, input), get: function () { return input.value; } };
    }
    function checkbox(path, label, value) {
      var input = h('input', { type: 'checkbox' });
      input.checked = value === true;
      return { el: field(path, label, input), get: function () { return input.checked; } };
    }
    // A value the rule holds but the picker does not offer stays, marked, so the API can say why it is refused.
    function checks(path, label, offered, values, describe) {
      var chosen = values || [];
      var all = offered.concat(chosen.filter(function (v) { return offered.indexOf(v) < 0; }));
      var boxes = all.map(function (v) {
        var input = h('input', { type: 'checkbox', id: domId(path) + '-' + v, value: v });
        input.checked = chosen.indexOf(v) >= 0;
        var extra = offered.indexOf(v) < 0 ? ' (not offered here)' : describe ? describe(v) : '';
        return { input: input, el: h('label', { class: 'check', for: input.id }, input, ' ' + v + extra) };
      });
      return {
        el: group(path, label, boxes.length ? boxes.map(function (b) { return b.el; }) : h('span', { class: 'muted' }, 'none offered')),
        get: function () { return boxes.filter(function (b) { return b.input.checked; }).map(function (b) { return b.input.value; }); }
      };
    }
    // A list of objects: each row its own widgets, with Remove; Add appends a blank row.
    // edits: how Add and Remove change the rule, for a field that is not an array (labels are a map).
    function rows(path, label, items, blank, row, edits) {
      var change = edits || {
        add: function (r) { setAt(r, path, (getAt(r, path) || []).concat([blank()])); },
        remove: function (r, index) { var l = getAt(r, path) || []; l.splice(index, 1); setAt(r, path, l); }
      };
      var made = (items || []).map(function (item, index) { return row(item || {}, path + '.' + index); });
      var add = h('button', { type: 'button' }, 'Add ' + label);
      add.addEventListener('click', function () { restructure(change.add); });
      var children = made.map(function (m, index) {
        var remove = h('button', { type: 'button', class: 'remove' }, 'Remove ' + label + ' ' + (index + 1));
        remove.addEventListener('click', function () { restructure(function (r) { change.remove(r, index); }); });
        return h('div', { class: 'row', 'data-row': path + '.' + index }, m.el, remove);
      });
      return { el: group(path, label, [children, add]), get: function () { return made.map(function (m) { return m.get(); }); } };
    }
    function getAt(obj, path) {
      return path.split('.').reduce(function (o, k) { return o === undefined || o === null ? undefined : o[k]; }, obj);
    }
    function setAt(obj, path, value) {
      var keys = path.split('.');
      var last = keys.pop();
      var target = keys.reduce(function (o, k) { if (!o[k] || typeof o[k] !== 'object') o[k] = {}; return o[k]; }, obj);
      target[last] = value;
    }
    function section(title, parts) {
      return h('fieldset', { class: 'section' }, h('legend', {}, title), parts.map(function (p) { return p.el; }));
    }
    function route(prefix, r) {
      var channels = list(prefix + 'channels', 'Channels', r.channels);
      var chats = list(prefix + 'chats', 'Chats', r.chats);
      var mentions = list(prefix + 'mentions', 'Mentions', r.mentions);
      return {
        parts: [channels, chats, mentions],
        get: function () { return put(put(put({}, 'channels', channels.get()), 'chats', chats.get()), 'mentions', mentions.get()); }
      };
    }
    function typeOf(type) { return catalog.incidentTypes.filter(function (t) { return t.type === type; })[0]; }
    function actionClass(id) {
      var a = catalog.actions.filter(function (x) { return x.id === id; })[0];
      return a ? ' (' + a['class'] + ')' : '';
    }
    function optional(values, unset) { return [['', unset]].concat(values.map(function (v) { return [v, v]; })); }

    function build(rule) {
      var sel = rule.signalSelector || {};
      var np = rule.notificationPolicy || {};
      var ap = rule.allowedActionProfile || {};
      var cd = rule.cooldownSeconds || {};
      var type = typeOf(rule.incidentType);
      var choices = type ? type.actions : { auto: [], requireApproval: [], deny: [], allowlist: [] };
      var w = {
        id: text('id', 'Id', rule.id, { readonly: !isNew }),
        name: text('name', 'Name', rule.name, { maxlength: 200 }),
        enabled: checkbox('enabled', 'Enabled', rule.enabled),
        incidentType: select('incidentType', 'Incident type', catalog.incidentTypes.map(function (t) { return [t.type, t.type + ' (' + t.displayName + ')']; }),
          rule.incidentType, function () { restructure(function () {}); }),
        domain: select('domain', 'Domain', optional(catalog.domains, '(the incident type’s)'), rule.domain),
        environmentScope: checks('environmentScope', 'Environments', catalog.environments, rule.environmentScope),
        mode: select('mode', 'Mode', optional(['live', 'shadow'], '(not set: live)'), rule.mode),
        owner: text('owner', 'Owner', rule.owner, { maxlength: 200 }),
        version: text('version', 'Version', rule.version, { readonly: true }),
        namespaces: list('signalSelector.namespaces', 'Namespaces', sel.namespaces),
        subjects: list('signalSelector.subjects', 'Subjects', sel.subjects),
        triggers: list('signalSelector.triggers', 'Triggers', sel.triggers),
        sources: list('signalSelector.sources', 'Sources', sel.sources),
        labels: rows('signalSelector.labels', 'labels', Object.keys(sel.labels || {}).map(function (k) { return { name: k, glob: sel.labels[k] }; }),
          null,
          function (item, at) {
            var name = text(at + '.name', 'Label', item.name);
            var globbed = text(at + '.glob', 'matches', item.glob);
            return { el: [name.el, globbed.el], get: function () { return [name.get(), globbed.get()]; } };
          }, {
            add: function (r) { setAt(r, 'signalSelector.labels', Object.assign({}, getAt(r, 'signalSelector.labels'), { '': '' })); },
            remove: function (r, index) { var m = getAt(r, 'signalSelector.labels') || {}; delete m[Object.keys(m)[index]]; }
          }),
        thresholdExpression: cel('thresholdExpression', 'Threshold (CEL)', rule.thresholdExpression),
        severity: select('severity', 'Severity', optional(catalog.severities, '(the incident type’s)'), rule.severity),
        severityEscalation: rows('severityEscalation', 'escalation', rule.severityEscalation,
          function () { return { to: catalog.severities[catalog.severities.length - 1] }; },
          function (item, at) {
            var to = select(at + '.to', 'To', catalog.severities.map(function (s) { return [s, s]; }), item.to);
            var when = cel(at + '.when', 'When (CEL)', item.when);
            var after = number(at + '.afterMinutes', 'After minutes', item.afterMinutes);
            return { el: [to.el, when.el, after.el], get: function () { return put(put({ to: to.get() }, 'when', when.get()), 'afterMinutes', after.get()); } };
          }),
        notify: route('notificationPolicy.', np),
        bySeverity: catalog.severities.map(function (s) { return { severity: s, route: route('notificationPolicy.bySeverity.' + s + '.', (np.bySeverity || {})[s] || {}) }; }),
        suppressionSchedule: rows('suppressionSchedule', 'window', rule.suppressionSchedule,
          function () { return { from: '', to: '' }; },
          function (item, at) {
            var from = text(at + '.from', 'From (HH:MM)', item.from, { size: 6 });
            var to = text(at + '.to', 'To (HH:MM)', item.to, { size: 6 });
            var zone = text(at + '.timeZone', 'Time zone', item.timeZone);
            var days = checks(at + '.days', 'Days', catalog.weekdays, item.days);
            return { el: [from.el, to.el, zone.el, days.el], get: function () { return put(put({ from: from.get(), to: to.get() }, 'timeZone', zone.get()), 'days', days.get()); } };
          }),
        auto: checks('allowedActionProfile.auto', 'Automatic (auto)', choices.auto, ap.auto, actionClass),
        requireApproval: checks('allowedActionProfile.requireApproval', 'Require approval', choices.requireApproval, ap.requireApproval, actionClass),
        deny: checks('allowedActionProfile.deny', 'Deny', choices.deny, ap.deny, actionClass),
        allowlist: rows('allowedActionProfile.allowlist', 'allowlist entry', ap.allowlist,
          function () { return { actions: [] }; },
          function (item, at) {
            var kind = text(at + '.kind', 'Kind', item.kind);
            var ns = text(at + '.namespace', 'Namespace', item.namespace);
            var name = text(at + '.name', 'Name', item.name);
            var note = text(at + '.note', 'Note', item.note);
            var acts = checks(at + '.actions', 'Actions', choices.allowlist, item.actions, actionClass);
            var envs = checks(at + '.environments', 'Environments', catalog.environments, item.environments);
            return {
              el: [kind.el, ns.el, name.el, note.el, acts.el, envs.el],
              get: function () { return put(put(put(put(put(put({}, 'kind', kind.get()), 'namespace', ns.get()), 'name', name.get()), 'note', note.get()), 'actions', acts.get()), 'environments', envs.get()); }
            };
          }),
        cooldowns: COOLDOWNS.map(function (k) { return number('cooldownSeconds.' + k, k, cd[k]); }),
        incidentTypeEnabled: select('incidentTypeEnabled', 'Incident type enabled', [['', '(not set)'], ['true', 'true'], ['false', 'false']],
          rule.incidentTypeEnabled === undefined ? undefined : String(rule.incidentTypeEnabled))
      };
      var el = [
        section('Rule', [w.id, w.name, w.enabled, w.incidentType, w.domain, w.environmentScope, w.mode, w.owner].concat(isNew ? [] : [w.version])),
        section('Signal selector', [w.namespaces, w.subjects, w.triggers, w.sources, w.labels]),
        section('Severity', [w.thresholdExpression, w.severity, w.severityEscalation]),
        section('Notifications', w.notify.parts.concat(w.bySeverity.map(function (b) {
          return { el: h('fieldset', { class: 'group' }, h('legend', {}, 'When ' + b.severity), b.route.parts.map(function (p) { return p.el; })) };
        }))),
        section('Suppression schedule', [w.suppressionSchedule]),
        section('Allowed actions for ' + (type ? type.type : 'this incident type'), [w.auto, w.requireApproval, w.deny, w.allowlist]),
        section('Cooldowns (seconds)', w.cooldowns),
        section('Incident type', [w.incidentTypeEnabled])
      ];
      function get() {
        // Required text is sent even when empty, so the API's refusal says what it must be.
        var r = { id: w.id.get(), name: w.name.get() };
        r.enabled = w.enabled.get();
        put(r, 'domain', w.domain.get());
        put(r, 'incidentType', w.incidentType.get());
        r.environmentScope = w.environmentScope.get();
        var labels = {};
        w.labels.get().forEach(function (pair) { if (pair[0] || pair[1]) labels[pair[0]] = pair[1]; });
        put(r, 'signalSelector', put(put(put(put(put({}, 'labels', labels), 'namespaces', w.namespaces.get()), 'subjects', w.subjects.get()), 'triggers', w.triggers.get()), 'sources', w.sources.get()));
        put(r, 'thresholdExpression', w.thresholdExpression.get());
        put(r, 'severity', w.severity.get());
        put(r, 'severityEscalation', w.severityEscalation.get());
        var bySeverity = {};
        w.bySeverity.forEach(function (b) { put(bySeverity, b.severity, b.route.get()); });
        put(r, 'notificationPolicy', put(w.notify.get(), 'bySeverity', bySeverity));
        put(r, 'allowedActionProfile', put(put(put(put({}, 'auto', w.auto.get()), 'requireApproval', w.requireApproval.get()), 'deny', w.deny.get()), 'allowlist', w.allowlist.get()));
        var cooldowns = {};
        COOLDOWNS.forEach(function (k, index) { put(cooldowns, k, w.cooldowns[index].get()); });
        put(r, 'cooldownSeconds', cooldowns);
        put(r, 'suppressionSchedule', w.suppressionSchedule.get());
        var typeEnabled = w.incidentTypeEnabled.get();
        if (typeEnabled) r.incidentTypeEnabled = typeEnabled === 'true';
        put(r, 'mode', w.mode.get());
        r.owner = w.owner.get();
        if (rule.version !== undefined) r.version = rule.version;
        return r;
      }
      return { el: el, get: get };
    }

    // The rule as the form holds it, plus any key the form has no widget for (the API names it).
    function value() {
      var r = read();
      Object.keys(unknown).forEach(function (k) { r[k] = unknown[k]; });
      return r;
    }
    function fill(rule) {
      fields = {};
      unknown = {};
      Object.keys(rule).forEach(function (k) { if (KNOWN.indexOf(k) < 0) unknown[k] = rule[k]; });
      var built = build(rule);
      read = built.get;
      box.replaceChildren.apply(box, built.el);
    }
    // Rows added or removed, or a new incident type (other pickers): rebuild from what the form holds.
    function restructure(mutate) {
      var r = value();
      mutate(r);
      fill(r);
      onEdit();
    }
    // Each refusal beside its field (the longest registered prefix of its path); the rest are returned.
    function mark(problems) {
      Object.keys(fields).forEach(function (k) {
        var f = fields[k];
        f.note.replaceChildren();
        f.note.hidden = true;
        f.note.removeAttribute('data-offset');
        if (f.input) f.input.removeAttribute('aria-invalid');
      });
      return problems.filter(function (p) {
        var colon = p.indexOf(': ');
        var head = colon < 0 ? '' : p.slice(0, colon);
        if (head.indexOf('rule.') !== 0) return true;
        var keys = head.slice(5).split('.');
        for (var n = keys.length; n > 0; n--) {
          var f = fields[keys.slice(0, n).join('.')];
          if (f) {
            note(f, keys.slice(n).join('.'), p.slice(colon + 2));
            return false;
          }
        }
        return true;
      });
    }
    function note(f, rest, message) {
      var at = message.lastIndexOf('(at offset ');
      var offset = at < 0 ? NaN : parseInt(message.slice(at + 11), 10);
      f.note.append(h('div', {}, (rest ? rest + ': ' : '') + message));
      if (f.input) f.input.setAttribute('aria-invalid', 'true');
      if (f.input && !isNaN(offset)) {
        // The source as sent, and a caret under the character the API points at.
        f.note.setAttribute('data-offset', String(offset));
        f.note.append(h('div', { class: 'caret', 'aria-hidden': 'true' }, h('code', { class: 'source' }, f.input.value), h('br'),
          h('code', { class: 'mark' }, ' '.repeat(offset) + '^')));
        if (f.input.setSelectionRange) f.input.setSelectionRange(offset, Math.min(offset + 1, f.input.value.length));
      }
      f.note.hidden = false;
    }
    box.addEventListener('input', onEdit);
    box.addEventListener('change', onEdit);
    return { el: box, fill: fill, value: value, mark: mark };
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
      if (isNew || !entry || saving) return;
      api('GET', path(id)).then(function (e) {
        if (saving || (e.layer === entry.layer && e.rule.version === entry.rule.version)) return;
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
        form = ruleForm(catalog, isNew, formEdited);
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
