// DOM for the grid and the group panels. Text goes in with textContent only, never as HTML.
/* global document */
import { numberUsage } from './records.js';

const localTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const count = new Intl.NumberFormat();
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

/** The viewer's time zone, which every time on the page is shown in. */
export const viewerTimeZone = localTime.resolvedOptions().timeZone;

export const formatCount = (n) => count.format(n);

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

/** `2026-12-02 06:16:38 UTC`: what a hover shows. */
export function utcText(iso) {
  const [date, time = ''] = new Date(iso).toISOString().split('T');
  return `${date} ${time.slice(0, 8)} UTC`;
}

/** A time in the viewer's zone, with UTC on hover. */
export function timeElement(iso) {
  return element('time', {
    dateTime: iso,
    title: utcText(iso),
    textContent: localTime.format(new Date(iso)),
  });
}

/** One row of the records grid. */
export function recordRow(r) {
  const state = element('span', { className: `state state-${r.state}`, textContent: r.state });
  if (r.endedAt)
    state.title = `${r.state} at ${localTime.format(new Date(r.endedAt))} (${utcText(r.endedAt)})`;
  const ani = r.ani
    ? element('td', { textContent: r.ani })
    : element('td', { className: 'none', title: 'no caller number', textContent: '—' });
  return element(
    'tr',
    { className: `record state-row-${r.state}` },
    element('th', { scope: 'row', className: 'id', textContent: r.id }),
    element('td', {}, state),
    element('td', {}, timeElement(r.createdAt)),
    ani,
    element('td', {}, timeElement(r.expiresAt)),
    element('td', { textContent: r.groupName }),
  );
}

/** The pool panel: one row per group (pool size, numbers in use, utilisation, live requests). */
export function groupRows(groups) {
  return groups.map((g) => {
    const used = g.poolSize > 0 ? g.numbersInUse / g.poolSize : 0;
    const meter = element('meter', { min: 0, max: 1, low: 0.7, high: 0.9, optimum: 0, value: used });
    meter.setAttribute('aria-hidden', 'true');
    const name = element('th', { scope: 'row', textContent: g.groupName });
    if (g.configProblem) {
      name.append(
        element('span', {
          className: 'problem',
          textContent: ` (its source is invalid since ${localTime.format(new Date(g.configProblem.since))}: ${g.configProblem.message}; served as last valid)`,
        }),
      );
    }
    return element(
      'tr',
      {},
      name,
      element('td', { className: 'num', textContent: count.format(g.poolSize) }),
      element('td', { className: 'num', textContent: count.format(g.numbersInUse) }),
      element(
        'td',
        { className: 'utilisation' },
        meter,
        ' ',
        element('span', { textContent: percent.format(used) }),
      ),
      element('td', { className: 'num', textContent: count.format(g.liveRequests) }),
    );
  });
}

/**
 * Per group, a folded list of the numbers in use and how many live requests each holds; the table
 * is built when opened, since a pool holds up to 10,000 numbers. `open` names the groups left open.
 */
export function numberUsagePanels(groups, records, open) {
  return groups.map((g) => {
    const usage = numberUsage(records.filter((r) => r.groupName === g.groupName));
    const details = element('details', { className: 'usage' });
    details.dataset.group = g.groupName;
    details.append(
      element('summary', {
        textContent: `${g.groupName}: ${count.format(usage.length)} of ${count.format(g.poolSize)} numbers in use`,
      }),
    );
    let filled = false;
    const fill = () => {
      if (filled || !details.open) return;
      filled = true;
      details.append(
        usage.length === 0
          ? element('p', { className: 'muted', textContent: 'No number is in use.' })
          : usageTable(g.groupName, usage),
      );
    };
    details.addEventListener('toggle', fill);
    if (open.has(g.groupName)) {
      details.open = true;
      fill();
    }
    return details;
  });
}

/** Numbers in use and the live requests on each, in a scroll box of its own. */
function usageTable(groupName, usage) {
  const body = element('tbody');
  for (const u of usage) {
    body.append(
      element(
        'tr',
        {},
        element('th', { scope: 'row', textContent: u.number }),
        element('td', { className: 'num', textContent: count.format(u.requests) }),
      ),
    );
  }
  const caption = `Numbers in use in ${groupName}`;
  const box = element(
    'div',
    { className: 'scroll usage-scroll', tabIndex: 0 },
    element(
      'table',
      {},
      element('caption', { textContent: caption }),
      element(
        'thead',
        {},
        element(
          'tr',
          {},
          element('th', { scope: 'col', textContent: 'Number' }),
          element('th', { scope: 'col', className: 'num', textContent: 'Live requests' }),
        ),
      ),
      body,
    ),
  );
  box.setAttribute('role', 'region');
  box.setAttribute('aria-label', caption);
  return box;
}
