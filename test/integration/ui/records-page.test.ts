// The records page in a real browser (Debian's Chromium through playwright-core), against a real
// allocator on NATS whose records were made through the API: what a supervisor sees, the filters, the
// access rules, and the basics of a small screen, a keyboard and a screen reader.
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { harness } from '../../harness/context.ts';
import { launchChromium, type Browser } from './browser.ts';
import { startRecordsAllocator, type RecordsAllocator } from './records-allocator.ts';
import { createSampleRecords, SAMPLE_GROUPS, type SampleRecord } from './sample-records.ts';

// The page's DOM, as far as the checks below read it in the browser (this project's TypeScript has no
// DOM library: these names are declared for this file only).
interface DomElement {
  readonly id: string;
  readonly tagName: string;
  readonly className: string;
  readonly outerHTML: string;
  readonly textContent: string | null;
  readonly innerText: string;
  readonly children: Iterable<DomElement>;
  readonly parentElement: DomElement | null;
  readonly offsetParent: DomElement | null;
  readonly scrollWidth: number;
  readonly clientWidth: number;
  readonly labels?: { readonly length: number } | null;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { left: number; right: number; bottom: number };
}
declare const document: {
  readonly documentElement: DomElement;
  readonly body: DomElement;
  readonly activeElement: DomElement | null;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): Iterable<DomElement>;
};
declare const sessionStorage: { getItem(key: string): string | null };
declare const localStorage: { readonly length: number };
declare function getComputedStyle(element: DomElement): {
  overflowX: string;
  outlineStyle: string;
  outlineWidth: string;
  color: string;
  backgroundColor: string;
};

/** The viewer's zone: not the machine's (UTC), so that a time shown in UTC would be caught. */
const TIME_ZONE = 'Asia/Tokyo';
const COLUMNS = ['ID', 'State', 'Time Created', 'ANI', 'Expiry Time', 'Group Name'];

interface Row {
  id: string;
  state: string;
  created: string;
  ani: string;
  expiry: string;
  group: string;
}

/** What the page's own code got wrong: uncaught errors and Content-Security-Policy refusals. */
const pageProblems: string[] = [];
const pages: Page[] = [];

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium({ timezoneId: TIME_ZONE, locale: 'en-GB' });
});
afterEach(async () => {
  await Promise.all(pages.splice(0).map((page) => page.close()));
  expect(pageProblems.splice(0)).toEqual([]);
});
afterAll(async () => {
  await browser?.close();
});

/** A new tab (so a sessionStorage of its own) on the page. */
async function openPage(url: string): Promise<Page> {
  const page = await browser.context.newPage();
  pages.push(page);
  page.on('pageerror', (err) => pageProblems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text()))
      pageProblems.push(`console: ${message.text()}`);
  });
  await page.goto(url);
  return page;
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.getByLabel('API key', { exact: true }).fill(key);
  await page.getByRole('button', { name: 'Use key' }).click();
}

const count = (page: Page) => page.getByRole('status');

async function rows(page: Page): Promise<Row[]> {
  return page.locator('#record-table tbody tr').evaluateAll((trs) =>
    trs.map((tr) => {
      const [id, state, created, ani, expiry, group] = [...tr.children].map(
        (cell) => (cell as DomElement).innerText,
      );
      return { id, state, created, ani, expiry, group } as Row;
    }),
  );
}

const ids = async (page: Page) => (await rows(page)).map((r) => r.id).sort();
const idsOf = (records: SampleRecord[]) => records.map((r) => r.id).sort();

describe('the records page of an allocator with API keys', () => {
  let allocator: RecordsAllocator;
  let records: SampleRecord[];
  const keys = () => allocator.keys as Record<'reader' | 'claimsReader' | 'writer', string>;

  beforeAll(async () => {
    allocator = await startRecordsAllocator({
      name: 'records-page',
      natsUrl: harness().natsUrl,
      logDir: path.join(harness().workDir, 'logs'),
      groups: SAMPLE_GROUPS,
      keys: [
        { name: 'reader', scopes: ['read'] },
        { name: 'claimsReader', scopes: ['read'], groups: ['claims'] },
        { name: 'writer', scopes: ['request', 'match'] },
      ],
      // Each page load asks once without a key (to tell open mode): not a guessing attempt to limit here.
      args: ['--auth-failure-rps', '0'],
    });
    records = await createSampleRecords(allocator, keys().writer, keys().reader);
  });
  afterAll(async () => {
    await allocator?.stop();
  });

  it('asks for a key; a read key sees every group, its records in their states, and each pool', async () => {
    const page = await openPage(allocator.pageUrl);
    await expect
      .poll(() => page.locator('#access-status').innerText())
      .toBe('An API key with the read scope is needed.');
    expect(await page.locator('#data').isHidden()).toBe(true);
    expect(await page.locator('#open-mode').isHidden()).toBe(true);

    await signIn(page, keys().reader);
    await expect.poll(() => count(page).innerText()).toBe('Showing 7 records');
    expect(await page.locator('#access-status').innerText()).toMatch(/Signed in .*: 3 groups visible/);
    expect(await page.locator('#record-table thead th').allInnerTexts()).toEqual(COLUMNS);

    const shown = await rows(page);
    expect(shown.map((r) => r.id).sort()).toEqual(idsOf(records));
    for (const record of records) {
      expect(
        shown.find((r) => r.id === record.id),
        record.id,
      ).toMatchObject({
        state: record.state,
        ani: record.ani ?? '—',
        group: record.groupName,
      });
    }
    // Newest first: the last request made heads the grid.
    expect(shown[0]?.id).toBe(records.at(-1)?.id);

    const groups = (
      (await allocator.call('GET', '/v1/groups', keys().reader)).body.groups as Array<{
        groupName: string;
        poolSize: number;
        numbersInUse: number;
        liveRequests: number;
      }>
    ).sort((a, b) => a.groupName.localeCompare(b.groupName));
    const groupRows = await page
      .locator('#group-table tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [...tr.children].map((cell) => (cell as DomElement).innerText.trim())),
      );
    expect(groupRows).toEqual(
      groups.map((g) => [
        g.groupName,
        String(g.poolSize),
        String(g.numbersInUse),
        `${Math.round((g.numbersInUse / g.poolSize) * 1000) / 10}%`,
        String(g.liveRequests),
      ]),
    );
    expect(groups.find((g) => g.groupName === 'claims')).toMatchObject({ poolSize: 5, numbersInUse: 1 });

    // Usage per number: the live requests of sales, counted on the numbers they hold.
    const sales = page.locator('#number-usage details[data-group="sales"]');
    await sales.locator('summary').click();
    const usageRows = sales.locator('tbody tr');
    await expect.poll(() => usageRows.count()).toBeGreaterThan(0);
    const usage = await usageRows.evaluateAll((trs) =>
      trs.map((tr) => [...tr.children].map((cell) => (cell as DomElement).innerText)),
    );
    const expected = new Map<string, number>();
    for (const r of records.filter((r) => r.groupName === 'sales' && r.state === 'live'))
      expected.set(r.number, (expected.get(r.number) ?? 0) + 1);
    expect(new Map(usage.map(([number, n]) => [number, Number(n)]))).toEqual(expected);
    expect(await sales.locator('summary').innerText()).toBe(`sales: ${expected.size} of 3 numbers in use`);

    // The key stays in this tab's sessionStorage only.
    expect(await page.evaluate(() => [sessionStorage.getItem('c2c.apiKey'), localStorage.length])).toEqual([
      keys().reader,
      0,
    ]);
  });

  it('filters by ID, ANI, group and state, and says how many records it shows', async () => {
    const page = await openPage(allocator.pageUrl);
    await signIn(page, keys().reader);
    await expect.poll(() => count(page).innerText()).toBe('Showing 7 records');
    const byState = (state: string) => records.filter((r) => r.state === state);
    const matched = byState('matched')[0] as SampleRecord;
    const cancelled = byState('cancelled')[0] as SampleRecord;

    const filterTo = async (expectedIds: string[]) => {
      await expect.poll(() => ids(page)).toEqual([...expectedIds].sort());
      expect(await count(page).innerText()).toBe(
        expectedIds.length === 7 ? 'Showing 7 records' : `Showing ${expectedIds.length} of 7 records`,
      );
    };

    // A part of the ID, in any case.
    await page.getByLabel('ID', { exact: true }).fill(matched.id.slice(0, 8).toUpperCase());
    await filterTo([matched.id]);
    await page.getByLabel('ID', { exact: true }).fill('');
    await filterTo(idsOf(records));

    // ANI: the digits, however they are spaced.
    await page.getByLabel('ANI (caller number)', { exact: true }).fill('+1 415 555 0102');
    await filterTo([cancelled.id]);
    await page.getByLabel('ANI (caller number)', { exact: true }).fill('4155550');
    await filterTo(idsOf(records.filter((r) => r.ani?.startsWith('+14155550'))));
    await page.getByLabel('ANI (caller number)', { exact: true }).fill('');

    const group = page.getByLabel('Group', { exact: true });
    expect(await group.locator('option').allInnerTexts()).toEqual([
      'All groups',
      ...SAMPLE_GROUPS.map((g) => g.name).sort(),
    ]);
    await group.selectOption('sales');
    await filterTo(idsOf(records.filter((r) => r.groupName === 'sales')));

    const state = page.getByLabel('State', { exact: true });
    await state.selectOption('live');
    await filterTo(idsOf(records.filter((r) => r.groupName === 'sales' && r.state === 'live')));
    await group.selectOption('');
    for (const s of ['live', 'matched', 'cancelled', 'expired']) {
      await state.selectOption(s);
      await filterTo(idsOf(byState(s)));
      expect(new Set((await rows(page)).map((r) => r.state))).toEqual(new Set([s]));
    }
    expect((await rows(page))[0]?.group).toBe('callbacks');

    await page.getByLabel('ID', { exact: true }).fill('no-such-id');
    await filterTo([]);
    expect(await page.getByText('No records match the filters.').isVisible()).toBe(true);
  });

  it("shows times in the viewer's time zone, with UTC on hover", async () => {
    const page = await openPage(allocator.pageUrl);
    await signIn(page, keys().reader);
    await expect.poll(() => count(page).innerText()).toBe('Showing 7 records');
    const record = records[1] as SampleRecord;
    const { request } = (await allocator.call('GET', `/v1/requests/${record.id}`, keys().reader)).body;
    const row = page.locator('#record-table tbody tr', { has: page.getByText(record.id) });
    const times = await row.locator('time').evaluateAll((els) =>
      els.map((el) => ({
        text: (el as DomElement).innerText,
        datetime: el.getAttribute('datetime'),
        title: el.getAttribute('title'),
      })),
    );
    const inZone = (iso: string, timeZone: string) =>
      page.evaluate(
        ([iso, timeZone]) =>
          new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium', timeZone }).format(
            new Date(iso as string),
          ),
        [iso, timeZone],
      );
    const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
    expect(times).toEqual([
      {
        text: await inZone(request.createdAt, TIME_ZONE),
        datetime: request.createdAt,
        title: utc(request.createdAt),
      },
      {
        text: await inZone(request.expiresAt, TIME_ZONE),
        datetime: request.expiresAt,
        title: utc(request.expiresAt),
      },
    ]);
    expect(times[0]?.text).not.toBe(await inZone(request.createdAt, 'UTC'));
    expect(await page.locator('#time-note').innerText()).toContain(TIME_ZONE);
  });

  it('shows a key limited to one group nothing of the others (the API refuses them too)', async () => {
    const page = await openPage(allocator.pageUrl);
    await signIn(page, keys().claimsReader);
    const claims = records.filter((r) => r.groupName === 'claims');
    await expect.poll(() => count(page).innerText()).toBe(`Showing ${claims.length} records`);
    expect(await ids(page)).toEqual(idsOf(claims));
    expect(await page.locator('#group-table tbody th').allInnerTexts()).toEqual(['claims']);
    expect(await page.getByLabel('Group', { exact: true }).locator('option').allInnerTexts()).toEqual([
      'All groups',
      'claims',
    ]);
    const text = await page.locator('body').innerText();
    for (const other of records.filter((r) => r.groupName !== 'claims')) {
      expect(text).not.toContain(other.id);
      expect(text).not.toContain(other.groupName);
    }

    const key = keys().claimsReader;
    const other = records.find((r) => r.groupName === 'sales') as SampleRecord;
    for (const route of ['/v1/groups/sales/history', '/v1/groups/sales/requests']) {
      const res = await allocator.call('GET', route, key);
      expect([route, res.status, res.body.error.code]).toEqual([route, 403, 'FORBIDDEN']);
    }
    const byId = await allocator.call('GET', `/v1/requests/${other.id}`, key);
    expect([byId.status, byId.body.error.code]).toEqual([404, 'REQUEST_NOT_FOUND']);
    const groups = (await allocator.call('GET', '/v1/groups', key)).body.groups;
    expect(groups.map((g: { groupName: string }) => g.groupName)).toEqual(['claims']);
  });

  it('refuses a key without the read scope, or an unknown key, with a message saying so', async () => {
    const page = await openPage(allocator.pageUrl);
    await signIn(page, keys().writer);
    const alert = page.getByRole('alert');
    await expect
      .poll(() => alert.innerText())
      .toBe('This API key may not read records: it lacks the read scope. Use a key with the read scope.');
    expect(await page.locator('#data').isHidden()).toBe(true);
    expect(await page.locator('#record-table tbody tr').count()).toBe(0);
    expect(await page.getByLabel('API key', { exact: true }).isVisible()).toBe(true);

    await signIn(page, 'not-a-key');
    await expect
      .poll(() => alert.innerText())
      .toBe('This API key was not accepted: it is unknown or has been revoked. Enter another key.');
    await page.getByRole('button', { name: 'Forget key' }).click();
    expect(await page.evaluate(() => sessionStorage.getItem('c2c.apiKey'))).toBeNull();
    expect(await alert.count()).toBe(0);
  });

  it('fits a 320 px wide screen: the page never scrolls sideways, the grid scrolls in its own box', async () => {
    const page = await openPage(allocator.pageUrl);
    await page.setViewportSize({ width: 320, height: 640 });
    await signIn(page, keys().reader);
    await expect.poll(() => count(page).innerText()).toBe('Showing 7 records');
    await page.locator('#number-usage details summary').first().click();
    const layout = await page.evaluate(() => {
      const grid = document.querySelector('#record-table')?.parentElement as DomElement;
      const controls = [...document.querySelectorAll('input, select, button, summary')].filter(
        (el) => (el as DomElement).offsetParent !== null,
      );
      return {
        documentWidth: document.documentElement.scrollWidth,
        viewport: document.documentElement.clientWidth,
        bodyWidth: document.body.scrollWidth,
        gridScrolls: grid.scrollWidth > grid.clientWidth,
        gridOverflow: getComputedStyle(grid).overflowX,
        outside: controls
          .map((el) => ({ el: el.id || el.tagName, box: el.getBoundingClientRect() }))
          .filter(({ box }) => box.left < 0 || box.right > document.documentElement.clientWidth)
          .map(({ el }) => el),
      };
    });
    expect(layout).toEqual({
      documentWidth: 320,
      viewport: 320,
      bodyWidth: 320,
      gridScrolls: true,
      gridOverflow: 'auto',
      outside: [],
    });
  });

  it('holds the keyboard and screen-reader basics: names, visible focus, table headers, a live count, contrast', async () => {
    const page = await openPage(allocator.pageUrl);
    await page.getByRole('textbox', { name: 'API key' }).fill(keys().reader);
    await page.keyboard.press('Enter');
    await expect.poll(() => count(page).innerText()).toBe('Showing 7 records');

    // Every control has an accessible name, as Chromium's accessibility tree computes it.
    for (const [role, name] of [
      ['searchbox', 'ID'],
      ['searchbox', 'ANI (caller number)'],
      ['combobox', 'Group'],
      ['combobox', 'State'],
      ['button', 'Refresh'],
      ['checkbox', 'Auto-refresh'],
      ['combobox', 'Interval'],
      ['button', 'Forget key'],
    ] as const) {
      expect(await page.getByRole(role, { name, exact: true }).count(), `${role} ${name}`).toBe(1);
    }
    const unnamed = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea, button')]
        .filter((el) => {
          const labelled = (el as DomElement).labels?.length || el.getAttribute('aria-label');
          return !(el.tagName === 'BUTTON' ? el.textContent?.trim() : labelled);
        })
        .map((el) => el.outerHTML),
    );
    expect(unnamed).toEqual([]);

    // The count is a polite live region; the grid has column headers and a row header per record.
    expect(await count(page).getAttribute('aria-live')).toBe('polite');
    expect(await page.locator('#record-table thead th[scope="col"]').count()).toBe(COLUMNS.length);
    expect(await page.locator('#record-table tbody th[scope="row"]').count()).toBe(7);
    expect(await page.getByRole('table', { name: 'Call-In records, newest first' }).count()).toBe(1);

    // Tab through the page, loaded again (the key is kept in the tab): the skip link first, then every
    // stop shows a focus outline.
    await page.reload();
    await expect.poll(() => count(page).innerText()).toBe('Showing 7 records');
    const stops: Array<{ what: string; outline: string; inView: boolean }> = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      stops.push(
        await page.evaluate(() => {
          const el = document.activeElement as DomElement;
          const style = getComputedStyle(el);
          const box = el.getBoundingClientRect();
          return {
            what: el.id || el.className || el.tagName,
            outline: `${style.outlineStyle} ${parseFloat(style.outlineWidth) >= 2}`,
            inView: box.bottom > 0 && box.right > 0,
          };
        }),
      );
    }
    expect(stops[0]?.what).toBe('skip-link');
    for (const stop of stops) expect(stop, stop.what).toMatchObject({ outline: 'solid true', inView: true });

    // Text against what is behind it: at least 4.5:1 (WCAG AA).
    const lowContrast = await page.evaluate(() => {
      const rgb = (color: string) => (color.match(/[\d.]+/g) ?? []).map(Number);
      const luminance = ([r = 0, g = 0, b = 0]: number[]) => {
        const [R, G, B] = [r, g, b].map((c) => {
          const s = c / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * (R ?? 0) + 0.7152 * (G ?? 0) + 0.0722 * (B ?? 0);
      };
      const background = (el: DomElement | null): number[] => {
        for (let node = el; node; node = node.parentElement) {
          const [r, g, b, a = 1] = rgb(getComputedStyle(node).backgroundColor);
          if (a > 0) return [r ?? 0, g ?? 0, b ?? 0];
        }
        return [255, 255, 255];
      };
      const selectors =
        'h1, h2, p, label, caption, th, td, .state, button, summary, option, .muted, input, select';
      return [...document.querySelectorAll(selectors)]
        .filter((el) => (el as DomElement).offsetParent !== null && el.textContent?.trim())
        .map((el) => {
          const [l1, l2] = [luminance(rgb(getComputedStyle(el).color)), luminance(background(el))];
          const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
          return { el: `${el.tagName}.${el.className}: ${el.textContent?.trim().slice(0, 20)}`, ratio };
        })
        .filter(({ ratio }) => ratio < 4.5);
    });
    expect(lowContrast).toEqual([]);
  });

  it('refreshes when asked, and on its own once auto-refresh is turned on (it is off at first)', async () => {
    const page = await openPage(allocator.pageUrl);
    await signIn(page, keys().reader);
    await expect.poll(() => count(page).innerText()).toBe('Showing 7 records');
    expect(await page.getByLabel('Auto-refresh', { exact: true }).isChecked()).toBe(false);

    const create = async () =>
      (await allocator.call('POST', '/v1/groups/claims/requests', keys().writer, {})).body.id as string;
    const first = await create();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => count(page).innerText()).toBe('Showing 8 records');
    expect(await ids(page)).toContain(first);

    await page.getByLabel('Interval', { exact: true }).selectOption('5');
    await page.getByLabel('Auto-refresh', { exact: true }).check();
    const second = await create();
    await expect.poll(() => ids(page), { timeout: 15_000 }).toContain(second);
    expect(await count(page).innerText()).toBe('Showing 9 records');
    await page.getByLabel('Auto-refresh', { exact: true }).uncheck();
  });
});

describe('the records page of an allocator in open mode', () => {
  let allocator: RecordsAllocator;
  beforeAll(async () => {
    allocator = await startRecordsAllocator({
      name: 'records-page-open',
      natsUrl: harness().natsUrl,
      logDir: path.join(harness().workDir, 'logs'),
      groups: SAMPLE_GROUPS.slice(0, 1),
    });
    expect((await allocator.call('POST', '/v1/groups/claims/requests', undefined, {})).status).toBe(201);
  });
  afterAll(async () => {
    await allocator?.stop();
  });

  it('shows the records without a key and says, visibly, that anyone can read them', async () => {
    const page = await openPage(allocator.pageUrl);
    await expect.poll(() => count(page).innerText()).toBe('Showing 1 record');
    const notice = page.locator('#open-mode');
    expect(await notice.isVisible()).toBe(true);
    expect(await notice.innerText()).toBe(
      'Open mode: this allocator runs without API keys, so anyone who can reach it can read these records.',
    );
    expect(await page.getByLabel('API key', { exact: true }).isVisible()).toBe(false);
    expect(await page.locator('#access-status').innerText()).toBe('No API key needed.');
  });
});
