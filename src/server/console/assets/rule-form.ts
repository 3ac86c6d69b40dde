/**
 * The rules console's form editor (`/rules/:id`, `/rules/new`): a widget per
 * field of the operator rule, served as /assets/rule-form.js between app.js
 * and rules.js, which calls it as `window.robosre.ruleForm`. It keeps the
 * same rules as app.ts: no markup from data, no backticks, `${` or
 * backslashes (`test/console/routes.test.ts` checks every script).
 */
export const RULE_FORM_JS = String.raw`'use strict';
(function () {
  var R = window.robosre;
  var h = R.h;

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
    // Only what the config has: a rule reaches the channels and chats the admin configured, never others.
    var destinations = catalog.destinations || {};
    var configured = Object.keys(destinations);
    var chatNames = configured.reduce(function (all, c) { return all.concat(destinations[c].filter(function (n) { return all.indexOf(n) < 0; })); }, []);
    function chatOwners(name) {
      return ' (' + configured.filter(function (c) { return destinations[c].indexOf(name) >= 0; }).join(', ') + ')';
    }
    function route(prefix, r) {
      var channels = checks(prefix + 'channels', 'Channels', configured, r.channels);
      var chats = checks(prefix + 'chats', 'Chats', chatNames, r.chats, chatOwners);
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

  R.ruleForm = ruleForm;
})();
`;
