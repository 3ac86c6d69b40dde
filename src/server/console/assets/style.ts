/**
 * The console's stylesheet, embedded so `tsc` output serves it without a copy
 * step. Plain CSS, no build; colours meet WCAG AA contrast on white.
 */
export const STYLE_CSS = `
:root {
  --fg: #1c2430; --muted: #5a6472; --line: #d9dee5; --bg: #f6f7f9; --card: #fff;
  --accent: #1f5fbf; --crit: #b3261e; --warn: #8a5300; --info: #1f5fbf; --ok: #1e6b3a;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg);
}
* { box-sizing: border-box; }
/* The hidden attribute must win over any display rule below. */
[hidden] { display: none !important; }
body { margin: 0; }
a { color: var(--accent); }
h1 { font-size: 1.4rem; margin: 0 0 .75rem; }
h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
button, input, select { font: inherit; }
button {
  border: 1px solid var(--line); background: var(--card); border-radius: 6px;
  padding: .3rem .8rem; cursor: pointer;
}
button:disabled { opacity: .6; cursor: wait; }
button.approve { background: var(--ok); border-color: var(--ok); color: #fff; }
button.deny { background: var(--crit); border-color: var(--crit); color: #fff; }
:focus-visible { outline: 3px solid #f0b400; outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: .5rem; background: #fff; padding: .3rem .6rem; z-index: 1; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.muted { color: var(--muted); }
.error { color: var(--crit); font-weight: 600; margin: .3rem 0 0; }

.top {
  display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.25rem;
  padding: .6rem 1.25rem; background: #14213d; color: #fff;
}
.top nav a { color: #fff; margin-right: .75rem; }
.rules td.on { color: var(--ok); font-weight: 600; }
.rules td.off { color: var(--muted); }
#rule-json { width: 100%; font-family: ui-monospace, monospace; font-size: .9rem; }
#rule-form fieldset.section { border: 1px solid #d5dbe6; border-radius: 6px; margin: .6rem 0; padding: .4rem .8rem .6rem; }
#rule-form fieldset.group { border: 0; border-left: 3px solid #e4e8f0; margin: .3rem 0; padding: .1rem .6rem; }
#rule-form .field { margin: .3rem 0; }
#rule-form .field > label { display: inline-block; min-width: 11rem; color: var(--muted); }
#rule-form input.cel, #import-yaml { width: min(40rem, 100%); font-family: ui-monospace, monospace; }
#rule-form label.check { margin-right: .9rem; white-space: nowrap; }
#rule-form .row { border-bottom: 1px dashed #d5dbe6; padding: .3rem 0; }
.field-error { color: var(--crit); font-size: .9rem; margin: .2rem 0 0 11rem; }
.field-error .caret { white-space: pre; font-family: ui-monospace, monospace; }
.field-error .caret .mark { color: var(--crit); font-weight: 700; }
.decisions tr.changed { background: #fff4d6; }
.top a.brand { color: #fff; font-weight: 700; text-decoration: none; font-size: 1.1rem; }
.live { font-size: .85rem; color: #c9d2e3; }
.banner { background: #8a1c1c; color: #fff; padding: .6rem 1.2rem; }
.banner ul { margin: .3rem 0 0; padding-left: 1.2rem; font-size: .9rem; overflow-wrap: anywhere; }
.banner time { color: #f3d6d6; }
.paused { background: #fff3cd; color: #5c4400; margin: 0; padding: .4rem 1.2rem; }
.receipts { display: flex; flex-wrap: wrap; gap: .4rem; margin: .3rem 0 0; font-size: .8rem; }
.entry p.receipts { white-space: normal; }
.receipt { border: 1px solid #c9d2e3; border-radius: .6rem; padding: 0 .45rem; color: #3b4660; }
.receipt.r-failed { border-color: var(--crit); color: var(--crit); }
.receipt.r-moved { border-color: var(--warn); color: var(--warn); }
.receipt.r-sent, .receipt.r-delivered { border-color: #2e8b57; color: #2e6b47; }
.receipt.r-silenced, .receipt.r-superseded { color: var(--muted); }
.receipt[title] { cursor: help; }
.receipt.ambiguous { border-style: dashed; }
.ack-badge { color: var(--ok); margin-left: .3rem; }
.silenced-badge { color: var(--muted); margin-left: .3rem; }
.live.on::before { content: "● "; color: #5bd68a; }
.session { margin-left: auto; }
.signin { display: flex; gap: .4rem; align-items: center; white-space: nowrap; }
.signin input { width: 14rem; min-width: 6rem; flex: 1 1 auto; padding: .25rem .4rem; border-radius: 6px; border: 1px solid #8895ad; }
.whoami { margin: 0; }
.top .error { color: #ffb4ab; }

main { max-width: 72rem; margin: 0 auto; padding: 1.25rem; }
main:focus { outline: none; }
.bar { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
.filter select { margin-left: .3rem; }

.scroll { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); }
th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); background: #fbfcfd; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.subject { word-break: break-all; }
tr.fresh { animation: fresh 2s ease-out; }
@keyframes fresh { from { background: #fff4c2; } to { background: transparent; } }
@media (prefers-reduced-motion: reduce) { tr.fresh { animation: none; } }

.badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .8rem; font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
.sev-critical { color: var(--crit); }
.sev-warning { color: var(--warn); }
.sev-info { color: var(--info); }
.st-resolved { color: var(--ok); }
.st-escalated { color: var(--crit); }
.st-suppressed { color: var(--muted); }
.pending-badge { color: var(--warn); margin-left: .3rem; }

.back { margin: 0 0 .5rem; }
.incident h1 .subject { font-weight: 500; word-break: break-all; }
.thread { list-style: none; margin: 0; padding: 0 0 0 1rem; border-left: 3px solid var(--line); }
.graph { margin: 0 0 1rem; }
.graph img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); background: #fff; }
.graph figcaption { color: var(--muted); font-size: .9rem; }
.entry {
  position: relative; background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: .6rem .8rem; margin: 0 0 .6rem;
}
.entry::before {
  content: ""; position: absolute; left: calc(-1rem - 8px); top: .9rem;
  width: 11px; height: 11px; border-radius: 50%; background: var(--line); border: 2px solid var(--bg);
}
.entry-head { display: flex; gap: .6rem; align-items: baseline; flex-wrap: wrap; }
.entry-head time { color: var(--muted); font-size: .85rem; font-variant-numeric: tabular-nums; }
.kind { font-weight: 700; font-size: .85rem; }
.entry p { margin: .3rem 0 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.entry ul { margin: .3rem 0 0; padding-left: 1.2rem; }
.opening { border-left: 4px solid var(--accent); }
.k-decision::before { background: var(--accent); }
.k-action_started::before, .k-action_finished::before { background: #6b4fbb; }
.k-approval_requested::before, .k-approval_decided::before { background: var(--warn); }
.k-escalation { border-color: var(--crit); }
.k-escalation::before { background: var(--crit); }
.resolved::before { background: var(--ok); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .9rem; margin: .5rem 0 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }

.approval { margin-top: .5rem; border: 2px solid var(--warn); border-radius: 8px; padding: .6rem .8rem; background: #fffaf0; }
.approval[data-state="approved"] { border-color: var(--ok); background: #f1faf4; }
.approval[data-state="denied"], .approval[data-state="expired"] { border-color: var(--line); background: #f7f7f8; }
.approval h3 { margin: 0; font-size: 1rem; }
.approval .outcome { font-weight: 700; margin: .5rem 0 0; }
.approval .controls { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-top: .6rem; }
.approval .controls input { flex: 1 1 14rem; padding: .25rem .4rem; border: 1px solid var(--line); border-radius: 6px; }
.countdown { font-weight: 700; font-variant-numeric: tabular-nums; }
.log pre { white-space: pre-wrap; overflow-wrap: anywhere; max-height: 24rem; overflow-y: auto; padding: .5rem; border: 1px solid var(--line); border-radius: 6px; font-size: .85rem; }
`;
