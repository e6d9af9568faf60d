/**
 * The records page in Chromium: how long it takes, from navigation, to show 10,000 records (made
 * through the API on one allocator on NATS), and how long a filter over them takes; and a screenshot
 * of the page with a few records in every state for the docs. Writes bench/results/records-page.json
 * and .md, and docs/images/records-page.png.
 *
 *   npm run bench -- records-page
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { NatsServer } from '../test/harness/nats-server.ts';
import { launchChromium } from '../test/integration/ui/browser.ts';
import { numbers, startRecordsAllocator } from '../test/integration/ui/records-allocator.ts';
import { createSampleRecords, SAMPLE_GROUPS } from '../test/integration/ui/sample-records.ts';
import { loadAverage, machine, quantile, root, round, workDir, writeResults } from './support.ts';

// The page's DOM, as far as this script reads it in the browser (no DOM library in this project).
declare const document: {
  getElementById(
    id: string,
  ): { dataset: Record<string, string | undefined>; value: string; dispatchEvent(e: unknown): void } | null;
};
declare const sessionStorage: { setItem(key: string, value: string): void };
declare function requestAnimationFrame(callback: () => void): number;

const RECORDS = Number(process.env.BENCH_RECORDS ?? 10_000);
const LOADS = Number(process.env.BENCH_PAGE_LOADS ?? 5);
const CONCURRENCY = 32;
const SCREENSHOT = path.join(root, 'docs/images/records-page.png');

const loadAtStart = loadAverage();
const { work, logDir } = await workDir('c2c-bench-records-page-');
const nats = new NatsServer(path.join(work, 'nats'), logDir, { name: 'bench-records-page-nats' });
const { url: natsUrl } = await nats.start();
// Shared numbers with access codes: 100 numbers hold the 10,000 live requests, 100 each.
const bulk = {
  name: 'bulk',
  numbers: numbers(9, 100),
  expirySeconds: 1800,
  uniqueDnis: false,
  accessCode: true,
};
const allocator = await startRecordsAllocator({
  name: 'bench-records-page',
  natsUrl,
  logDir,
  groups: [...SAMPLE_GROUPS, bulk],
  keys: [
    { name: 'supervisor', scopes: ['read'], groups: SAMPLE_GROUPS.map((g) => g.name) },
    { name: 'bulkReader', scopes: ['read'], groups: ['bulk'] },
    { name: 'writer', scopes: ['request', 'match'] },
  ],
  args: ['--auth-failure-rps', '0'],
});
const { supervisor, bulkReader, writer } = allocator.keys as Record<string, string>;
const browser = await launchChromium({
  viewport: { width: 1280, height: 900 },
  timezoneId: 'Europe/Paris',
  locale: 'en-GB',
});

/** A tab that has the key already, as after signing in. */
async function signedInPage(key: string): Promise<Page> {
  const page = await browser.context.newPage();
  await page.addInitScript((k) => sessionStorage.setItem('c2c.apiKey', k), key);
  return page;
}

try {
  // The screenshot: a few records in every state, as a supervisor of three groups sees them.
  await createSampleRecords(allocator, writer, supervisor);
  const shot = await signedInPage(supervisor as string);
  await shot.goto(allocator.pageUrl);
  await shot.getByRole('status').filter({ hasText: 'Showing 7 records' }).waitFor();
  await shot.locator('#number-usage details[data-group="sales"] summary').click();
  await mkdir(path.dirname(SCREENSHOT), { recursive: true });
  await shot.screenshot({ path: SCREENSHOT, fullPage: true });
  await shot.close();
  console.log(`records page: screenshot in ${path.relative(root, SCREENSHOT)}`);

  // 10,000 live records, made through the API.
  const createStarted = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < RECORDS) {
        next++;
        const res = await allocator.call('POST', '/v1/groups/bulk/requests', writer, {});
        if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
      }
    }),
  );
  const createSeconds = (performance.now() - createStarted) / 1000;
  console.log(`records page: ${RECORDS} requests made in ${round(createSeconds, 1)} s`);

  const loads: Array<{
    shownMs: number;
    paintedMs: number;
    historyFetchMs: number;
    historyBytes: number;
    filterMs: number;
  }> = [];
  for (let i = 0; i < LOADS; i++) {
    const page = await signedInPage(bulkReader as string);
    await page.goto(allocator.pageUrl, { waitUntil: 'commit' });
    // Milliseconds since navigation started (the page's time origin), checked at every frame.
    const shown = await page.waitForFunction(
      (n) => document.getElementById('count')?.dataset.shown === String(n) && performance.now(),
      RECORDS,
      { polling: 'raf', timeout: 120_000 },
    );
    const shownMs = (await shown.jsonValue()) as number;
    // An upper bound of when the rows are on screen: after the next frame (layout and paint) is done.
    const paintedMs = await page.evaluate(
      () =>
        new Promise<number>((resolve) =>
          requestAnimationFrame(() => setTimeout(() => resolve(performance.now()))),
        ),
    );
    const timings = await page.evaluate(() => {
      const history = performance.getEntriesByType('resource').find((e) => e.name.includes('/history')) as
        { startTime: number; responseEnd: number; encodedBodySize: number } | undefined;
      const state = document.getElementById('filter-state');
      if (!state) throw new Error('no state filter on the page');
      const started = performance.now();
      state.value = 'live';
      state.dispatchEvent(new Event('change'));
      const filterMs = performance.now() - started;
      return {
        historyFetchMs: history ? history.responseEnd - history.startTime : NaN,
        historyBytes: history?.encodedBodySize ?? NaN,
        filterMs,
      };
    });
    loads.push({ shownMs: round(shownMs, 0), paintedMs: round(paintedMs, 0), ...timings });
    console.log(`records page: load ${i + 1}: ${Math.round(shownMs)} ms to show ${RECORDS} records`);
    await page.close();
  }

  const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
  const shownMs = sorted(loads.map((l) => l.shownMs));
  const report = {
    records: RECORDS,
    loads: LOADS,
    browser: `Chromium ${browser.context.browser()?.version() ?? '?'} (headless)`,
    createPerSecond: Math.round(RECORDS / createSeconds),
    shownMs: { median: quantile(shownMs, 0.5), min: shownMs[0], max: shownMs.at(-1) },
    paintedMs: quantile(sorted(loads.map((l) => l.paintedMs)), 0.5),
    historyFetchMs: round(quantile(sorted(loads.map((l) => l.historyFetchMs)), 0.5), 0),
    historyMegabytes: round((loads[0]?.historyBytes ?? NaN) / 1e6, 2),
    stateFilterMs: round(quantile(sorted(loads.map((l) => l.filterMs)), 0.5), 0),
    each: loads.map((l) => ({
      ...l,
      historyFetchMs: round(l.historyFetchMs, 0),
      filterMs: round(l.filterMs, 0),
    })),
    machine: machine(loadAtStart),
  };
  const markdown = [
    '# Records page',
    '',
    `${RECORDS.toLocaleString('en')} live records in one group, read with a key for that group, in ${report.browser}, ` +
      `page loaded ${LOADS} times (\`npm run bench -- records-page\`).`,
    '',
    '| what | median |',
    '| --- | --- |',
    `| navigation to the count showing ${RECORDS.toLocaleString('en')} | ${report.shownMs.median} ms (${report.shownMs.min}–${report.shownMs.max}) |`,
    `| navigation to the rows laid out and painted (the next frame after; an upper bound) | ${report.paintedMs} ms |`,
    `| of which GET /v1/groups/bulk/history (${report.historyMegabytes} MB) | ${report.historyFetchMs} ms |`,
    `| a state filter over them | ${report.stateFilterMs} ms |`,
    '',
    `Machine: ${report.machine.cpus} CPUs (${report.machine.cpuModel}), Node.js ${report.machine.node}, ` +
      `load average at start ${loadAtStart.join(' ')}. Requests made at ${report.createPerSecond}/s.`,
    '',
  ].join('\n');
  await writeResults('records-page', report, markdown);
  console.log(markdown);
} finally {
  await browser.close();
  await allocator.stop();
  await nats.stop();
}
