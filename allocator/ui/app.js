// The records page: asks for an API key when the allocator needs one, loads the groups and their
// records through the documented read API, and shows them filtered, with the pools' usage.
/* global document, location, sessionStorage, setInterval, clearInterval, setTimeout, clearTimeout, URL, Option */
import { ApiError, createApi } from './api.js';
import { matchesFilters, newestFirst, toRecord } from './records.js';
import { formatCount, groupRows, numberUsagePanels, recordRow, viewerTimeZone } from './render.js';

const KEY_STORAGE = 'c2c.apiKey';
const apiRoot = new URL('..', location.href);
const $ = (id) => document.getElementById(id);

const page = {
  /** `open`: the allocator has no API keys; `key`: one is needed. */
  mode: undefined,
  loading: false,
  groups: [],
  /** Every record with its grid row, newest first. */
  rows: [],
  autoRefresh: undefined,
};

function storedKey() {
  return sessionStorage.getItem(KEY_STORAGE) ?? '';
}

function showError(message) {
  $('error').textContent = message;
  $('error').hidden = !message;
}

/** Shows the key form (and hides the data) when the allocator wants a key the page does not have. */
function askForKey(message) {
  $('access').hidden = false;
  $('data').hidden = true;
  $('forget-key').hidden = !storedKey();
  $('access-status').textContent = 'An API key with the read scope is needed.';
  showError(message);
}

/** What a refused or failed load means for the person looking at the page. */
function explain(err) {
  if (!(err instanceof ApiError)) return `Could not show the records: ${err.message}`;
  switch (err.status) {
    case 401:
      return storedKey()
        ? 'This API key was not accepted: it is unknown or has been revoked. Enter another key.'
        : 'Enter an API key with the read scope.';
    case 403:
      return 'This API key may not read records: it lacks the read scope. Use a key with the read scope.';
    case 429:
      return `Too many requests${err.retryAfterSeconds ? `; try again in ${err.retryAfterSeconds} s` : ''}.`;
    case 0:
      return 'The allocator cannot be reached. The records shown, if any, may be out of date.';
    default:
      return `The allocator answered ${err.status} ${err.code}: ${err.message}`;
  }
}

function currentFilters() {
  return {
    id: $('filter-id').value,
    ani: $('filter-ani').value,
    groupName: $('filter-group').value,
    state: $('filter-state').value,
  };
}

function applyFilters() {
  const filters = currentFilters();
  const shown = page.rows.filter(({ record }) => matchesFilters(record, filters));
  const body = document.createDocumentFragment();
  for (const { row } of shown) body.append(row);
  $('record-table').tBodies[0].replaceChildren(body);
  $('empty').hidden = shown.length > 0 || page.rows.length === 0;
  const count = $('count');
  count.dataset.shown = String(shown.length);
  count.dataset.total = String(page.rows.length);
  count.textContent =
    shown.length === page.rows.length
      ? `Showing ${formatCount(shown.length)} ${shown.length === 1 ? 'record' : 'records'}`
      : `Showing ${formatCount(shown.length)} of ${formatCount(page.rows.length)} records`;
}

function renderGroupChoices(groups) {
  const select = $('filter-group');
  const chosen = select.value;
  const options = groups.map((g) => new Option(g.groupName, g.groupName));
  select.replaceChildren(new Option('All groups', ''), ...options);
  select.value = groups.some((g) => g.groupName === chosen) ? chosen : '';
}

function render(groups, records) {
  const openPanels = new Set(
    [...document.querySelectorAll('#number-usage details[open]')].map((d) => d.dataset.group),
  );
  $('group-table').tBodies[0].replaceChildren(...groupRows(groups));
  $('number-usage').replaceChildren(...numberUsagePanels(groups, records, openPanels));
  renderGroupChoices(groups);
  page.rows = records.map((record) => ({ record, row: recordRow(record) }));
  applyFilters();
  $('updated').textContent = `Updated ${new Date().toLocaleTimeString()}`;
  $('data').hidden = false;
}

async function load() {
  if (page.loading) return;
  page.loading = true;
  $('data').setAttribute('aria-busy', 'true');
  const api = createApi(apiRoot, page.mode === 'key' ? storedKey() : undefined);
  try {
    const groups = (await api.groups()).sort((a, b) => a.groupName.localeCompare(b.groupName));
    const histories = await Promise.all(groups.map((g) => api.history(g.groupName)));
    const records = histories.flat().map(toRecord).sort(newestFirst);
    showError('');
    if (page.mode === 'key') {
      $('access').hidden = true;
      $('forget-key').hidden = false;
      $('access-status').textContent =
        `Signed in with an API key (kept in this tab only): ${groups.length} ${groups.length === 1 ? 'group' : 'groups'} visible.`;
    }
    render(groups, records);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) askForKey(explain(err));
    else showError(explain(err));
  } finally {
    page.loading = false;
    $('data').removeAttribute('aria-busy');
  }
}

/** Asks without a key once: an answer means open mode, a 401 that a key is needed. */
async function detectMode() {
  try {
    await createApi(apiRoot, undefined).groups();
    page.mode = 'open';
    $('open-mode').hidden = false;
    $('access-status').textContent = 'No API key needed.';
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) page.mode = 'key';
    else throw err;
  }
}

function setAutoRefresh() {
  clearInterval(page.autoRefresh);
  page.autoRefresh = undefined;
  if ($('auto-refresh').checked) {
    page.autoRefresh = setInterval(load, Number($('refresh-interval').value) * 1000);
  }
}

function wire() {
  $('time-note').textContent = `Times are in your time zone (${viewerTimeZone}); hover a time for UTC.`;
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('api-key').value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_STORAGE, key);
    $('api-key').value = '';
    void load();
  });
  $('forget-key').addEventListener('click', () => {
    sessionStorage.removeItem(KEY_STORAGE);
    page.rows = [];
    $('record-table').tBodies[0].replaceChildren();
    askForKey('');
    $('api-key').focus();
  });
  $('refresh').addEventListener('click', () => void load());
  $('auto-refresh').addEventListener('change', setAutoRefresh);
  $('refresh-interval').addEventListener('change', setAutoRefresh);
  let typing;
  for (const id of ['filter-id', 'filter-ani']) {
    $(id).addEventListener('input', () => {
      clearTimeout(typing);
      typing = setTimeout(applyFilters, 120);
    });
  }
  for (const id of ['filter-group', 'filter-state']) $(id).addEventListener('change', applyFilters);
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    applyFilters();
  });
}

async function start() {
  wire();
  try {
    await detectMode();
  } catch (err) {
    $('access-status').textContent = '';
    showError(explain(err));
    return;
  }
  if (page.mode === 'key' && !storedKey()) {
    askForKey('');
    return;
  }
  await load();
}

void start();
