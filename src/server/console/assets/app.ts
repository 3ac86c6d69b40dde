/**
 * The console's browser script, embedded as text so the compiled server
 * serves it without a copy step (tsc copies no assets). Plain ES2020, no
 * framework, no build.
 *
 * Rules this code keeps, and `test/console/routes.test.ts` checks what it can:
 * - every piece of server data enters the DOM as a text node or attribute
 *   value, never as markup (no innerHTML; the CSP also enforces Trusted Types);
 * - it is written without backticks, `${` or backslashes, so the TS
 *   template literal holding it is the script byte for byte.
 */
export const APP_JS = String.raw`'use strict';
(function () {
  // Past this many changed incidents at once, one list read is cheaper than one read each.
  var THROTTLE_BATCH = 10;
  // The JSON API's default page: the list never shows more.
  var LIST_LIMIT = 200;
  var KINDS = {
    signal: 'Signal', reopened: 'Reopened', transition: 'Status', analysis: 'Analysis', decision: 'Decision',
    message: 'Message', approval_requested: 'Approval requested', approval_decided: 'Approval decided',
    action_started: 'Action started', action_finished: 'Action finished', verification: 'Verification',
    escalation: 'Escalated', parent_linked: 'Linked', storm: 'Storm', ai: 'AI analysis (unverified)'
  };

  // Ages and countdowns follow the server's clock: the browser's may be minutes off.
  var serverTime = Number((document.querySelector('meta[name="robosre-server-time"]') || {}).content);
  var skew = serverTime > 0 ? serverTime - Date.now() : 0;
  function now() { return Date.now() + skew; }

  // Untrusted text only ever becomes a text node here, never markup.
  function h(tag, attrs) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === undefined || value === null || value === false) return;
      if (name === 'class') el.className = value;
      else el.setAttribute(name, value === true ? '' : String(value));
    });
    appendAll(el, Array.prototype.slice.call(arguments, 2));
    return el;
  }
  function appendAll(el, children) {
    children.forEach(function (child) {
      if (child === undefined || child === null || child === false) return;
      if (Array.isArray(child)) appendAll(el, child);
      else el.append(child instanceof Node ? child : String(child));
    });
  }
  function fact(label, value) { return [h('dt', {}, label), h('dd', {}, value)]; }
  function badge(cls, text) { return h('span', { class: 'badge ' + cls }, text); }

  function duration(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + 's';
    var m = Math.floor(s / 60);
    if (m < 60) return m + 'm' + (m < 10 && s % 60 ? ' ' + (s % 60) + 's' : '');
    var hours = Math.floor(m / 60);
    if (hours < 48) return hours + 'h' + (m % 60 ? ' ' + (m % 60) + 'm' : '');
    return Math.floor(hours / 24) + 'd';
  }
  var timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  var dateTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  function stamp(iso) {
    if (!iso) return null;
    var d = new Date(iso);
    var today = new Date(now()).toDateString() === d.toDateString();
    return h('time', { datetime: iso, title: iso }, (today ? timeOnly : dateTime).format(d));
  }
  function age(iso) {
    var since = Date.parse(iso);
    return h('span', { 'data-since': since }, duration(now() - since));
  }

  // --- the JSON API -------------------------------------------------------
  // asText: a read whose answer is not JSON (the rules export); refusals are JSON all the same.
  // The session cookie (HttpOnly: this script never sees it) goes with every same-origin request.
  function api(method, path, payload, asText) {
    var headers = { accept: asText ? '*/*' : 'application/json' };
    var init = { method: method, headers: headers, cache: 'no-store', credentials: 'same-origin' };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(payload);
    }
    return fetch(path, init).then(function (res) {
      if (res.ok && asText) return res.text();
      return res.json().catch(function () { return null; }).then(function (data) {
        if (res.ok) return data;
        // The API's own words, verbatim: they say what was refused and why.
        var message = data && data.error && data.error.message ? data.error.message : 'HTTP ' + res.status;
        var error = new Error(message);
        error.status = res.status;
        error.body = data;
        throw error;
      });
    }, function (cause) {
      throw new Error('cannot reach robosre: ' + cause.message);
    });
  }

  // --- sign-in ------------------------------------------------------------
  var person = null;
  var sessionListeners = [];
  var form = document.getElementById('signin');
  var tokenInput = document.getElementById('token');
  var whoami = document.getElementById('whoami');
  var who = document.getElementById('who');
  var signinError = document.getElementById('signin-error');

  function showSession(me, error) {
    person = me;
    form.hidden = !!me;
    whoami.hidden = !me;
    who.textContent = me ? me.name + ' (' + me.role + ')' : '';
    signinError.textContent = error || '';
    signinError.hidden = !error;
    sessionListeners.forEach(function (fn) { fn(); });
  }
  // The token is sent once, to open a session; the page keeps nothing of it.
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var token = tokenInput.value.trim();
    if (!token) return;
    api('POST', '/api/session', { token: token }).then(function (me) {
      tokenInput.value = '';
      // The sign-in page stands in for the page asked for: load that one now.
      if (document.body.getAttribute('data-page') === 'signin') location.reload();
      else showSession(me);
    }, function (error) { showSession(null, error.message); });
  });
  // Signing out ends the session on the server; the page reloads into the sign-in page, its data gone.
  document.getElementById('signout').addEventListener('click', function () {
    api('DELETE', '/api/session').then(function () { location.reload(); }, function (error) { showSession(person, error.message); });
  });
  api('GET', '/api/me').then(function (me) { showSession(me); }, function (error) {
    showSession(null, error.status === 401 ? '' : error.message);
  });

  // --- live updates ---------------------------------------------------------
  // Changed ids are gathered while a refresh runs, so a burst costs a few fetches, not one per event.
  function updater(refreshIds, refreshAll, onError) {
    var ids = new Set();
    var all = false;
    var busy = false;
    function pump() {
      if (busy) return;
      if (!all && ids.size === 0) return;
      busy = true;
      var batch = Array.from(ids);
      var whole = all || batch.length > THROTTLE_BATCH;
      ids.clear();
      all = false;
      (whole ? refreshAll() : refreshIds(batch)).catch(onError).then(function () {
        busy = false;
        pump();
      });
    }
    return {
      id: function (id) { ids.add(id); pump(); },
      all: function () { all = true; pump(); }
    };
  }
  // --- the status lines: no chat channel can deliver; automatic actions paused ------
  // Re-read on load, on every (re)connection, and on incident events at most once per STATUS_EVERY ms.
  var STATUS_EVERY = 2000;
  var statusAt = 0;
  var statusTimer = null;
  var statusBusy = false;
  var statusAgain = false;
  var bannerKey = null;
  var pausedKey = null;
  function showStatus(channels, pause) {
    var banner = document.getElementById('banner');
    var down = channels.allChatChannelsDown ? channels.channels.filter(function (c) { return !c.healthy; }) : [];
    // A channel whose receiving side cannot start (platform unreachable, token refused) takes no commands or presses.
    var deaf = channels.channels.filter(function (c) { return c.receiving && c.receiving.status === 'retrying'; });
    var key = channels.allChatChannelsDown || deaf.length ? JSON.stringify([down, deaf.map(function (c) { return [c.name, c.receiving.error, c.receiving.since]; })]) : '';
    // Unchanged, it is left alone: the banner is an alert, and screen readers announce every rewrite.
    if (key !== bannerKey) {
      bannerKey = key;
      banner.replaceChildren();
      appendAll(banner, channels.allChatChannelsDown ? [
        h('strong', {}, 'All chat channels are down'), ' — this console is the only channel carrying incidents.',
        h('ul', { 'aria-label': 'Chat channels' }, down.map(function (c) {
          return h('li', { 'data-channel': c.name }, c.name + ': ' + (c.reason || 'no reason recorded'), c.since ? [' (since ', stamp(c.since), ')'] : null);
        }))
      ] : []);
      if (deaf.length) {
        appendAll(banner, [
          h('p', { 'data-receiving': 'retrying' }, h('strong', {}, 'Not receiving commands'), ' — robosre keeps trying to start these channels:'),
          h('ul', { 'aria-label': 'Channels not receiving' }, deaf.map(function (c) {
            return h('li', { 'data-receiving-channel': c.name }, c.name + ': ' + (c.receiving.error || 'no reason recorded'), ' (since ', stamp(c.receiving.since), ')');
          }))
        ]);
      }
      banner.hidden = !key;
    }
    var paused = document.getElementById('paused');
    key = pause.paused ? JSON.stringify(pause) : '';
    if (key !== pausedKey) {
      pausedKey = key;
      paused.replaceChildren();
      if (key) {
        appendAll(paused, ['Automatic actions are paused' + (pause.by ? ' by ' + pause.by : ''),
          pause.at ? [' since ', stamp(new Date(pause.at).toISOString())] : null, '. What robosre would do on its own waits for approval instead.']);
      }
      paused.hidden = !key;
    }
  }
  function refreshStatus() {
    if (statusBusy) {
      statusAgain = true;
      return;
    }
    statusBusy = true;
    statusAt = Date.now();
    Promise.all([api('GET', '/api/channels'), api('GET', '/api/pause')]).then(function (r) { showStatus(r[0], r[1]); }, function () {
      // Shown as it was; the next event or reconnection tries again.
    }).then(function () {
      statusBusy = false;
      if (statusAgain) {
        statusAgain = false;
        pokeStatus();
      }
    });
  }
  function pokeStatus() {
    if (statusTimer) return;
    statusTimer = setTimeout(function () {
      statusTimer = null;
      refreshStatus();
    }, Math.max(0, statusAt + STATUS_EVERY - Date.now()));
  }

  // update: the page's updater, or null on a page with nothing to keep live but the status lines.
  var stream = null;
  function listen(update) {
    var live = document.getElementById('live');
    var source = new EventSource('/api/events');
    stream = source;
    var opened = false;
    // Every (re)connection re-reads everything: events sent while disconnected are not replayed.
    source.addEventListener('open', function () {
      live.textContent = 'live';
      live.classList.add('on');
      if (update) update.all();
      if (opened) refreshStatus();
      opened = true;
    });
    source.addEventListener('error', function () {
      live.textContent = 'reconnecting…';
      live.classList.remove('on');
    });
    source.addEventListener('incident', function (event) {
      var id = JSON.parse(event.data).id;
      if (update && typeof id === 'number') update.id(id);
      pokeStatus();
    });
    refreshStatus();
  }

  // --- the incident list ------------------------------------------------------
  function listPage() {
    var rows = document.getElementById('rows');
    var message = document.getElementById('list-message');
    var filter = document.getElementById('status-filter');
    var known = new Map();
    var loaded = false;
    filter.value = new URLSearchParams(location.search).get('status') || '';

    function row(i) {
      return h('tr', { 'data-id': i.id, 'data-status': i.status },
        h('td', { class: 'num' }, i.id),
        h('td', {}, badge('sev-' + i.severity, i.severity)),
        h('td', {}, i.incidentType),
        h('td', { class: 'subject' }, h('a', { href: '/incidents/' + i.id }, i.subject)),
        h('td', {}, badge('st-' + i.status, i.status), i.approvalState === 'pending' ? badge('pending-badge', 'awaiting approval') : null),
        h('td', {}, age(i.firstSeenAt)),
        h('td', { class: 'num' }, i.occurrences));
    }
    function summarise() {
      message.textContent = known.size ? '' : filter.value ? 'No ' + filter.value + ' incidents.' : 'No incidents yet: they appear here as soon as robosre sees one.';
      message.hidden = known.size > 0;
    }
    function upsert(i) {
      var old = known.get(i.id);
      if (filter.value && i.status !== filter.value) {
        if (old) old.remove();
        known.delete(i.id);
        return;
      }
      var tr = row(i);
      if (old) old.replaceWith(tr);
      else {
        tr.classList.add('fresh');
        // Newest first: before the first row with a smaller id.
        var next = Array.from(known.keys()).filter(function (id) { return id < i.id; }).sort(function (a, b) { return b - a; })[0];
        rows.insertBefore(tr, next === undefined ? null : known.get(next));
      }
      known.set(i.id, tr);
      // Keep a long-open page to the API's page size: drop the oldest rows.
      Array.from(known.keys()).sort(function (a, b) { return b - a; }).slice(LIST_LIMIT).forEach(function (old) {
        known.get(old).remove();
        known.delete(old);
      });
    }
    function refreshAll() {
      var query = filter.value ? '?status=' + encodeURIComponent(filter.value) : '';
      return api('GET', '/api/incidents' + query).then(function (data) {
        var before = new Set(known.keys());
        known.clear();
        rows.replaceChildren.apply(rows, data.incidents.map(function (i) {
          var tr = row(i);
          if (loaded && !before.has(i.id)) tr.classList.add('fresh');
          known.set(i.id, tr);
          return tr;
        }));
        loaded = true;
        summarise();
      });
    }
    function refreshIds(ids) {
      return Promise.all(ids.map(function (id) {
        return api('GET', '/api/incidents/' + id).then(upsert, function (error) {
          if (error.status !== 404) throw error;
        });
      })).then(summarise);
    }
    var update = updater(refreshIds, refreshAll, function (error) {
      message.textContent = error.message;
      message.hidden = false;
    });
    filter.addEventListener('change', function () {
      var url = new URL(location.href);
      if (filter.value) url.searchParams.set('status', filter.value);
      else url.searchParams.delete('status');
      history.replaceState(null, '', url);
      // A different filter is a different list, not a list of new arrivals.
      loaded = false;
      update.all();
    });
    update.all();
    listen(update);
  }

  // --- one incident as a thread -------------------------------------------------
  function incidentPage(id) {
    var article = document.getElementById('incident');
    var header = null;
    var opening = null;
    var thread = null;
    var graphs = null;
    var actions = null;
    var shown = new Set();
    var approvals = new Map();
    var cards = new Map();
    var notes = new Map();

    function effectiveState(a) {
      return a.state === 'pending' && Date.parse(a.expiresAt) <= now() ? 'expired' : a.state;
    }
    function outcome(a, state) {
      if (state === 'expired') return h('p', { class: 'outcome' }, 'Expired' + (a.reason ? ': ' + a.reason : '') + '. Nothing was executed.');
      return h('p', { class: 'outcome' }, (state === 'approved' ? 'Approved' : 'Denied') + ' by ' + a.decidedBy + ' at ', stamp(a.decidedAt),
        a.reason ? ': ' + a.reason : null);
    }
    function controls(a, note) {
      var p = a.prompt || {};
      if (!person) return h('p', { class: 'muted' }, 'Sign in with an approver token to approve or deny.');
      var what = (p.actionName || p.action) + ' on ' + p.target;
      var reason = h('input', { type: 'text', maxlength: 500, placeholder: 'Reason (optional)', 'aria-label': 'Reason for approval ' + a.id });
      var approve = h('button', { type: 'button', class: 'approve', 'aria-label': 'Approve ' + what }, 'Approve');
      var deny = h('button', { type: 'button', class: 'deny', 'aria-label': 'Deny ' + what }, 'Deny');
      function decide(verb) {
        approve.disabled = true;
        deny.disabled = true;
        notes.delete(a.id);
        note.hidden = true;
        var text = reason.value.trim();
        api('POST', '/api/approvals/' + a.id + '/' + verb, text ? { reason: text } : {}).then(function (data) {
          setApproval(data.approval);
        }, function (error) {
          notes.set(a.id, error.message);
          note.textContent = error.message;
          note.hidden = false;
          approve.disabled = false;
          deny.disabled = false;
          // Someone else decided, or it expired: show what the server now holds.
          if (error.status === 409) update.all();
        });
      }
      approve.addEventListener('click', function () { decide('approve'); });
      deny.addEventListener('click', function () { decide('deny'); });
      return h('div', { class: 'controls' }, approve, deny, reason);
    }
    function card(a) {
      var p = a.prompt || {};
      var state = effectiveState(a);
      var until = Date.parse(a.expiresAt);
      var note = h('p', { class: 'error', role: 'alert', hidden: !notes.has(a.id) }, notes.get(a.id));
      return h('section', { class: 'approval', 'data-approval-id': a.id, 'data-state': state, 'data-version': version(a), 'aria-label': 'Approval request ' + a.id },
        h('h3', {}, 'Approval ' + (a.code || a.id) + ' requested: ' + (p.actionName || p.action)),
        h('dl', { class: 'facts' },
          fact('Action', p.actionName ? p.actionName + ' (' + p.action + ')' : p.action),
          fact('Target', p.target),
          fact('Why now', p.whyNow),
          fact('Expected impact', p.expectedImpact),
          fact('Rollback / fallback', p.rollback),
          fact('Expires', [stamp(a.expiresAt), ' ', state === 'pending'
            ? h('span', { class: 'countdown', 'data-until': until }, 'in ' + duration(until - now()))
            : h('span', { class: 'countdown' }, state === 'expired' ? 'expired' : '')]),
          a.requiredApprovals > 1 ? fact('Votes', votesText(a)) : null),
        state === 'pending' ? controls(a, note) : outcome(a, state),
        note);
    }
    // "1 of 2 approvals (alice)"; who voted where and when is in the tooltip.
    function votesText(a) {
      var yes = (a.votes || []).filter(function (v) { return v.vote === 'approve'; });
      return h('span', { class: 'votes', title: yes.map(function (v) { return v.person + ' via ' + v.channel + ' at ' + v.at; }).join('; ') || null },
        yes.length + ' of ' + a.requiredApprovals + ' approvals' + (yes.length ? ' (' + yes.map(function (v) { return v.person; }).join(', ') + ')' : ''));
    }
    // What a card shows; a card is rebuilt only when this changes, so typing and focus survive updates.
    function version(a) { return [effectiveState(a), a.decidedBy, a.decidedAt, a.reason, (a.votes || []).length].join('|'); }
    // Where each message went, one receipt per channel and operation; receipts change after the entry is shown.
    var OPS = { open: 'thread ', edit_root: 'edit ', edit_prompt: 'edit ' };
    // A moved message is queued again on the next channel of its route: the next receipt elsewhere, or any that was not moved.
    function movedTo(list, n) {
      var from = list[n].channel;
      var next = list.slice(n + 1).filter(function (r) { return r.channel !== from; })[0] ||
        list.filter(function (r) { return r.channel !== from && r.status !== 'moved'; })[0];
      return next ? next.channel : null;
    }
    function receipt(list, n) {
      var r = list[n];
      var to = r.status === 'moved' ? movedTo(list, n) : null;
      // Resent after a restart interrupted a send that may already have arrived: each resend may be a duplicate.
      var resends = r.ambiguousResends || (r.ambiguous ? 1 : 0);
      var tip = [r.lastError, resends ? 'sent again after a restart interrupted it' + (resends > 1 ? ' (' + resends + ' times)' : '') + ': it may have arrived more than once' : null,
        r.sentAt ? 'sent ' + r.sentAt : null].filter(Boolean).join(' — ');
      return h('span', { class: 'receipt r-' + r.status + (resends ? ' ambiguous' : ''), 'data-channel': r.channel, title: tip || null },
        r.channel + ' · ' + (OPS[r.op] || '') + r.status + (to ? ' → ' + to : '') + (r.attempts > 1 ? ', ' + r.attempts + ' attempts' : ''),
        resends ? h('strong', { class: 'flag' }, ' · ambiguous' + (resends > 1 ? ' ×' + resends : '')) : null);
    }
    function receipts(e) {
      var list = e.receipts || [];
      return h('p', { class: 'receipts', 'aria-label': 'Delivery', 'data-key': JSON.stringify(list), hidden: list.length === 0 },
        list.map(function (r, n) { return receipt(list, n); }));
    }
    var receiptEls = new Map();
    function setApproval(a) {
      approvals.set(a.id, a);
      var old = cards.get(a.id);
      if (old && old.getAttribute('data-version') === version(a)) return;
      var fresh = card(a);
      if (old) old.replaceWith(fresh);
      cards.set(a.id, fresh);
    }
    function entry(e) {
      var data = e.data || {};
      var resolved = e.kind === 'verification' && data.outcome === 'resolved';
      var li = h('li', { class: 'entry k-' + e.kind + (resolved ? ' resolved' : ''), 'data-kind': e.kind },
        h('div', { class: 'entry-head' }, h('span', { class: 'kind' }, resolved ? 'Resolved' : KINDS[e.kind] || e.kind), stamp(e.at)));
      var approval = e.kind === 'approval_requested' ? approvals.get(data.approvalId) : undefined;
      if (approval) {
        if (!cards.has(approval.id)) cards.set(approval.id, card(approval));
        li.append(cards.get(approval.id));
      } else li.append(h('p', {}, e.summary));
      // The whole (redacted) log tail; the thread gets its telling lines.
      if (e.kind === 'evidence' && typeof data.log === 'string' && data.log) {
        li.append(h('details', { class: 'log' }, h('summary', {}, 'Log tail'), h('pre', {}, data.log)));
      }
      if (Array.isArray(data.reasons) && data.reasons.length) {
        li.append(h('ul', { 'aria-label': 'Reasons' }, data.reasons.map(function (r) { return h('li', {}, r); })));
      }
      if (e.kind === 'analysis' && Array.isArray(data.hypotheses) && data.hypotheses.length) {
        li.append(h('p', { class: 'muted' }, 'Hypotheses: ' + data.hypotheses.join('; ')));
      }
      if (e.kind === 'action_started' && data.approvedBy) li.append(h('p', { class: 'muted' }, 'Approved by ' + data.approvedBy));
      if (e.kind === 'message') {
        var el = receipts(e);
        receiptEls.set(e.id, el);
        li.append(el);
      }
      var other = Number(data.parentId || data.childId || data.stormId || data.memberId);
      if ((e.kind === 'parent_linked' || e.kind === 'storm') && other > 0) li.append(h('p', {}, h('a', { href: '/incidents/' + other }, 'Open incident #' + other)));
      return li;
    }
    function renderHeader(i) {
      return h('header', {},
        h('h1', {}, 'Incident #' + i.id + ' ', h('span', { class: 'subject' }, i.subject)),
        h('p', { class: 'status-line' }, badge('sev-' + i.severity, i.severity), ' ', badge('st-' + i.status, i.status), ' ',
          i.approvalState === 'pending' ? badge('pending-badge', 'awaiting approval') : null,
          i.acknowledgedBy ? h('span', { class: 'badge ack-badge' }, 'acknowledged by ' + i.acknowledgedBy, i.acknowledgedAt ? [' at ', stamp(i.acknowledgedAt)] : null) : null,
          silenced(i) ? h('span', { class: 'badge silenced-badge' }, 'updates silenced until ', stamp(i.silencedUntil)) : null));
    }
    function silenced(i) {
      return !!i.silencedUntil && Date.parse(i.silencedUntil) > now();
    }
    function renderOpening(i) {
      return h('li', { class: 'entry opening', 'data-kind': 'opening' },
        h('div', { class: 'entry-head' }, h('span', { class: 'kind' }, 'Opened'), stamp(i.createdAt)),
        h('p', {}, i.evidenceSummary),
        h('dl', { class: 'facts' },
          fact('Severity', badge('sev-' + i.severity, i.severity)),
          fact('Type', i.incidentType + ' (' + i.domain + ')'),
          fact('Subject', i.subject),
          fact('Confidence', i.confidence),
          fact('Status', i.status),
          i.acknowledgedBy ? fact('Acknowledged', [i.acknowledgedBy + ' at ', stamp(i.acknowledgedAt)]) : null,
          silenced(i) ? fact('Updates silenced', ['until ', stamp(i.silencedUntil)]) : null,
          fact('Environment', i.environment + ', cluster ' + i.cluster),
          fact('Seen', [i.occurrences + ' time(s) via ' + i.signalSources.join(', ') + ', first ', stamp(i.firstSeenAt)]),
          i.parentId ? fact(i.stormId === i.parentId ? 'Member of storm' : 'Caused by', h('a', { href: '/incidents/' + i.parentId }, 'incident #' + i.parentId)) : null,
          i.stormId && i.stormId !== i.parentId ? fact('In storm', h('a', { href: '/incidents/' + i.stormId }, 'incident #' + i.stormId)) : null,
          i.members ? fact('Members', [i.members.filter(function (m) { return m.status !== 'resolved'; }).length + ' of ' + i.members.length + ' open: ', related(i.members)]) : null,
          i.children && i.children.length ? fact('Consequences', related(i.children)) : null,
          i.resolvedAt ? fact('Resolved', stamp(i.resolvedAt)) : null));
    }
    // Linked incidents, the first 50; each says how many incidents it caused in turn (the pods of a storm's node).
    function related(list) {
      return list.slice(0, 50).map(function (m, n) {
        return [n ? ', ' : '', h('a', { href: '/incidents/' + m.id }, m.subject), m.children ? ' (+' + m.children + ')' : ''];
      });
    }
    function renderActions(i) {
      return h('table', { class: 'actions' },
        h('caption', { class: 'visually-hidden' }, 'Planned actions'),
        h('thead', {}, h('tr', {}, ['Action', 'Target', 'Class', 'Decision', 'Status'].map(function (c) { return h('th', { scope: 'col' }, c); }))),
        h('tbody', {}, i.recommendedActions.map(function (a) {
          return h('tr', { 'data-action': a.action }, h('td', {}, a.action), h('td', {}, a.target), h('td', {}, a.actionClass), h('td', {}, a.decision), h('td', {}, a.status));
        })));
    }
    // The incident's metric charts, as the chats got them: an <img> of each one's SVG (no script runs in an image).
    function renderGraphs(i) {
      var list = i.graphs || [];
      var section = h('section', { class: 'graphs', 'aria-label': 'Graphs', 'data-key': list.map(function (g) { return g.id; }).join(','), hidden: list.length === 0 },
        h('h2', {}, 'Graphs'),
        list.map(function (g) {
          return h('figure', { class: 'graph', 'data-graph': String(g.id) },
            h('img', { src: g.svg, alt: 'Chart: ' + g.title, width: '800', height: '400', loading: 'lazy' }),
            h('figcaption', {}, g.title + ' · ' + (g.moment.indexOf('ended') >= 0 ? 'at its end' : 'when it opened') + ', ', stamp(g.createdAt), g.error ? ' · ' + g.error : ''));
        }));
      return section;
    }
    function render(i) {
      i.approvals.forEach(setApproval);
      if (!thread) {
        thread = h('ol', { class: 'thread', 'aria-label': 'Incident thread' });
        header = renderHeader(i);
        opening = renderOpening(i);
        actions = renderActions(i);
        graphs = renderGraphs(i);
        thread.append(opening);
        article.replaceChildren(header, graphs, h('h2', {}, 'Thread'), thread, h('h2', {}, 'Actions'), actions);
      } else {
        var nextGraphs = renderGraphs(i);
        // Only a new graph re-renders the section: the images are not fetched again on every change.
        if (nextGraphs.getAttribute('data-key') !== graphs.getAttribute('data-key')) {
          graphs.replaceWith(nextGraphs);
          graphs = nextGraphs;
        }
        var next = renderHeader(i);
        header.replaceWith(next);
        header = next;
        next = renderOpening(i);
        opening.replaceWith(next);
        opening = next;
        next = renderActions(i);
        actions.replaceWith(next);
        actions = next;
      }
      // The timeline only grows: append what is new, keep what is shown (and any focus inside it).
      i.timeline.forEach(function (e) {
        if (shown.has(e.id)) {
          var old = receiptEls.get(e.id);
          if (old) {
            var fresh = receipts(e);
            if (fresh.getAttribute('data-key') !== old.getAttribute('data-key')) {
              old.replaceWith(fresh);
              receiptEls.set(e.id, fresh);
            }
          }
          return;
        }
        shown.add(e.id);
        thread.append(entry(e));
      });
      article.setAttribute('aria-busy', 'false');
      document.title = '#' + i.id + ' ' + i.subject + ' · robosre';
    }
    function refresh() {
      return api('GET', '/api/incidents/' + id).then(render);
    }
    var update = updater(function (ids) {
      return ids.indexOf(id) >= 0 ? refresh() : Promise.resolve();
    }, refresh, function (error) {
      var message = document.getElementById('incident-message') || article.appendChild(h('p', { id: 'incident-message', class: 'error', role: 'alert' }));
      message.textContent = error.message;
    });
    sessionListeners.push(function () {
      // A refusal addressed to the previous person is not news to the next one.
      notes.clear();
      cards.forEach(function (old, approvalId) {
        var fresh = card(approvals.get(approvalId));
        old.replaceWith(fresh);
        cards.set(approvalId, fresh);
      });
    });
    // A request that runs out while the page is open shows as expired without waiting for the server.
    setInterval(function () {
      approvals.forEach(function (a) {
        var old = cards.get(a.id);
        if (old && old.dataset.state === 'pending' && effectiveState(a) === 'expired') setApproval(a);
      });
    }, 1000);
    update.all();
    listen(update);
  }

  // One clock for every age and countdown on the page.
  setInterval(function () {
    document.querySelectorAll('[data-since]').forEach(function (el) {
      var text = duration(now() - Number(el.getAttribute('data-since')));
      if (el.textContent !== text) el.textContent = text;
    });
    document.querySelectorAll('[data-until]').forEach(function (el) {
      var left = Number(el.getAttribute('data-until')) - now();
      var text = left > 0 ? 'in ' + duration(left) : 'expired';
      if (el.textContent !== text) el.textContent = text;
    });
  }, 1000);

  // The rules views (rules.js) sign in and call the API exactly as these pages do.
  window.robosre = {
    api: api, h: h, stamp: stamp,
    text: function (path) { return api('GET', path, undefined, true); },
    // The page's one event stream: 'rules' after each rule change, 'open' on every (re)connection.
    on: function (name, fn) { stream.addEventListener(name, fn); },
    onSession: function (fn) { sessionListeners.push(fn); },
    person: function () { return person; }
  };

  var page = document.body.getAttribute('data-page');
  if (page === 'list') listPage();
  else if (page === 'incident') incidentPage(Number(document.body.getAttribute('data-incident-id')));
  else if (page !== 'signin') listen(null);
})();
`;
