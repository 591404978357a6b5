#!/usr/bin/env node
// End-to-end test of the Shoal dashboard against a running `shoal serve`.
//
// Environment:
//   SHOAL_URL         base URL of a server whose store has NO snapshot yet
//   SHOAL_EXPECTED    JSON written by `shoal scan --output json` on the same warehouse
//   E2E_SCREENSHOT  where to save a full-page PNG of the dashboard home (optional)
//   E2E_SHOTS_DIR   where to save the screenshots the operations guides show
//                   (home, table explorer, table page, merge job, merge
//                   history, and the home page in 简体中文) (optional)
//   CHROMIUM_PATH     the browser to drive (default /usr/bin/chromium)
//
// It loads the dashboard, checks the empty state, clicks "Scan now", waits for
// the scan to finish, then checks that the table explorer shows exactly the
// expected files and small files of every table and that the summary cards
// show the expected totals. On the page of the table with the most small
// files it clicks "Plan merge" and checks the plan page (partitions, each
// eligible or with its reason), runs the merge through the confirmation,
// checks that every merged partition kept its rows, rolls it back, and
// checks the merge history. The catalog health card must show the demo
// catalog (the only one configured) as healthy before and after the scan, with
// the scan as its latest, and a URL naming an unknown catalog must say so and
// lead back to the default one. Any mismatch exits non-zero with a clear message.
//
// Uses playwright-core with the system Chromium: no browser is downloaded.

import { mkdir, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const SCAN_TIMEOUT_MS = 120_000;
const STEP_TIMEOUT_MS = 30_000;
const PAGE_LIMIT = 1000; // the API's maximum page size

const log = (...a) => console.log('[e2e]', ...a);

class Failure extends Error {}

function fail(msg) {
  throw new Failure(msg);
}

function env(name, required = true) {
  const v = process.env[name];
  if (required && !v) fail(`${name} is not set (see the header of e2e/dashboard.e2e.mjs)`);
  return v;
}

async function loadExpected(path) {
  let data;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    fail(`cannot read SHOAL_EXPECTED ${path}: ${err.message}`);
  }
  const t = data?.totals;
  if (!t || !Array.isArray(data.tables)) fail(`SHOAL_EXPECTED ${path} has no "totals" object or "tables" array`);
  for (const k of ['tables', 'partitions', 'files', 'bytes', 'small_files']) {
    if (typeof t[k] !== 'number') fail(`SHOAL_EXPECTED totals.${k} is missing or not a number`);
  }
  for (const [i, tb] of data.tables.entries()) {
    for (const k of ['database', 'table']) if (typeof tb[k] !== 'string') fail(`SHOAL_EXPECTED tables[${i}].${k} is not a string`);
    for (const k of ['files', 'small_files']) if (typeof tb[k] !== 'number') fail(`SHOAL_EXPECTED tables[${i}].${k} is not a number`);
  }
  if (data.tables.length === 0) fail('SHOAL_EXPECTED lists no tables: the demo warehouse should not be empty');
  return data;
}

/** The rows of the catalog health card, once it has loaded. */
async function catalogHealth(page) {
  await page
    .waitForSelector('[data-testid="catalog-health-row"], [data-testid="catalog-health-error"], [data-testid="catalog-health-empty"]')
    .catch(() => fail('the catalog health card did not load on the overview'));
  const err = await page.$('[data-testid="catalog-health-error"]');
  if (err) fail(`the catalog health card shows an error: ${(await err.textContent())?.trim()}`);
  return page.$$eval('[data-testid="catalog-health-row"]', (trs) =>
    trs.map((tr) => {
      const attr = (id, name) => tr.querySelector(`[data-testid="${id}"]`)?.getAttribute(name) ?? null;
      return {
        name: tr.getAttribute('data-catalog'),
        healthy: tr.getAttribute('data-healthy'),
        kind: tr.getAttribute('data-kind'),
        status: tr.querySelector('[data-testid="catalog-status"]')?.textContent?.trim() ?? '',
        error: tr.querySelector('[data-testid="catalog-error"]')?.textContent?.trim() ?? '',
        databases: attr('catalog-databases', 'data-value'),
        latency: attr('catalog-latency', 'data-value'),
        latestScan: attr('catalog-latest-scan', 'data-scan-id'),
      };
    }),
  );
}

/** Checks that the card shows exactly the server's catalogs, the demo one healthy. */
function checkHealth(rows, apiCatalogs, when, mismatches) {
  const names = rows.map((r) => r.name);
  const want = apiCatalogs.map((c) => c.name);
  if (JSON.stringify(names) !== JSON.stringify(want)) {
    mismatches.push(`${when}: the catalog health card lists [${names.join(', ')}], GET /api/v1/catalogs [${want.join(', ')}]`);
  }
  if (rows.length !== 1) mismatches.push(`${when}: the catalog health card lists ${rows.length} catalogs, expected the demo catalog only`);
  const demo = rows[0];
  if (!demo) return;
  if (demo.healthy !== 'true' || demo.status !== 'Healthy') {
    mismatches.push(`${when}: the demo catalog ${demo.name} is shown as ${demo.status || demo.healthy}${demo.error ? ` (${demo.error})` : ''}, expected Healthy`);
  }
  if (demo.error) mismatches.push(`${when}: the healthy demo catalog shows an error: ${demo.error}`);
  if (demo.kind !== 'warehouse') mismatches.push(`${when}: the demo catalog's kind is ${demo.kind}, expected warehouse`);
  if (demo.databases !== null && !(Number(demo.databases) >= 1)) mismatches.push(`${when}: the demo catalog reports ${demo.databases} databases`);
  if (demo.latency === null) mismatches.push(`${when}: the demo catalog shows no health-check latency`);
}

/** Reads data-value of a test id as a number (undefined when absent). */
async function dataValue(page, testId) {
  const v = await page.getAttribute(`[data-testid="${testId}"]`, 'data-value');
  return v === null ? undefined : Number(v);
}

async function waitIdle(page) {
  // A list is settled once its request answered: no table is marked as loading.
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"].table-wrap'), null, {
    timeout: STEP_TIMEOUT_MS,
  });
}

async function main() {
  const base = env('SHOAL_URL').replace(/\/+$/, '');
  const expectedPath = resolve(env('SHOAL_EXPECTED'));
  const screenshot = env('E2E_SCREENSHOT', false);
  const shotsDir = env('E2E_SHOTS_DIR', false);
  // shot saves a viewport PNG of the current page for the guides.
  const shot = async (page, name) => {
    if (!shotsDir) return;
    await waitIdle(page);
    await page.waitForTimeout(500); // chart animations
    const out = resolve(shotsDir, `${name}.png`);
    await mkdir(dirname(out), { recursive: true });
    await page.screenshot({ path: out });
    log(`screenshot ${out}`);
  };
  const expected = await loadExpected(expectedPath);
  const mismatches = [];
  const check = (what, got, want) => {
    if (got !== want) mismatches.push(`${what}: dashboard shows ${got}, expected ${want}`);
  };

  log(`server ${base}, ${expected.tables.length} expected tables, ${expected.totals.files} files`);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const pageErrors = [];
  const apiErrors = [];
  try {
    const context = await browser.newContext({
      viewport: { width: 1440, height: 900 },
      locale: 'en-US',
      timezoneId: 'UTC',
    });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') log(`browser console error: ${msg.text()}`);
    });
    page.on('response', (res) => {
      if (res.url().includes('/api/') && res.status() >= 500) apiErrors.push(`${res.status()} ${res.url()}`);
    });

    // 1. The empty state before the first scan.
    log('loading the dashboard');
    const res = await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
    if (!res || !res.ok()) fail(`GET ${base}/ answered ${res ? res.status() : 'nothing'}`);
    const first = await page
      .waitForSelector('[data-testid="empty-state"], [data-testid="summary-files"], [data-testid="api-error"]')
      .catch(() => fail('the dashboard did not render (no empty state, summary or error) within 30 s'));
    const firstId = await first.getAttribute('data-testid');
    if (firstId === 'summary-files') fail('the server already has a snapshot; SHOAL_URL must point at a server with an empty store');
    if (firstId === 'api-error') fail(`the dashboard shows an API error on load: ${(await first.textContent())?.trim()}`);
    const emptyText = (await first.textContent()) ?? '';
    if (!emptyText.includes('No snapshot yet')) fail(`unexpected empty state text: ${emptyText}`);
    log('empty state shown');

    // 1b. The catalog health card: the demo catalog answers, never scanned yet.
    const catalogsRes = await page.request.get(`${base}/api/v1/catalogs`);
    if (!catalogsRes.ok()) fail(`GET /api/v1/catalogs answered ${catalogsRes.status()}`);
    const apiCatalogs = (await catalogsRes.json()).items ?? [];
    const before = await catalogHealth(page);
    checkHealth(before, apiCatalogs, 'before the scan', mismatches);
    if (before[0]?.latestScan) mismatches.push(`before the scan, the demo catalog already shows scan #${before[0].latestScan}`);
    const single = await page.$('[data-testid="catalog-name"]');
    check('catalog named in the header', single ? await single.getAttribute('data-catalog') : null, apiCatalogs[0]?.name ?? null);
    if (await page.$('[data-testid="catalog-select"]')) mismatches.push('the header shows a catalog selector although there is one catalog');
    log(`catalog health checked: ${before.map((r) => `${r.name} ${r.healthy === 'true' ? 'healthy' : 'unhealthy'}`).join(', ')}`);

    // 2. Scan now, and follow the progress bar until the scan is done.
    await page.click('[data-testid="scan-now"]');
    await page.waitForSelector('[data-testid="scan-progress"]').catch(() => fail('no progress bar appeared after clicking Scan now'));
    log('scan started; waiting for it to finish');
    const started = Date.now();
    let lastLogged = 0;
    let state = '';
    for (;;) {
      const el = await page.$('[data-testid="scan-progress"]');
      state = (await el?.getAttribute('data-state')) ?? '';
      const percent = (await el?.getAttribute('data-percent')) ?? '?';
      if (['succeeded', 'failed', 'cancelled', 'error'].includes(state)) break;
      if (Date.now() - started > SCAN_TIMEOUT_MS) fail(`the scan did not finish within ${SCAN_TIMEOUT_MS / 1000} s (state ${state}, ${percent}%)`);
      if (Date.now() - lastLogged > 5000) {
        log(`  ${state || 'starting'} ${percent}%`);
        lastLogged = Date.now();
      }
      await page.waitForTimeout(250);
    }
    if (state !== 'succeeded') {
      const text = (await page.innerText('[data-testid="scan-progress"]')).replace(/\s+/g, ' ').trim();
      fail(`the scan ended as ${state}: ${text}`);
    }
    log(`scan succeeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // 3. The home page refreshed on its own: the summary cards hold the totals.
    await page
      .waitForSelector('[data-testid="summary-files"]')
      .catch(() => fail('the summary cards did not appear after the scan finished (no automatic refresh?)'));
    const t = expected.totals;
    check('summary files', await dataValue(page, 'summary-files'), t.files);
    check('summary small files', await dataValue(page, 'summary-small-files'), t.small_files);
    check('summary bytes', await dataValue(page, 'summary-bytes'), t.bytes);
    check('summary tables', await dataValue(page, 'summary-tables'), t.tables);
    check('summary partitions', await dataValue(page, 'summary-partitions'), t.partitions);
    log('summary cards checked');

    // 3b. The catalog health card now names the scan as the latest one.
    const snapshotId = await page.getAttribute('[data-testid="snapshot-meta"]', 'data-scan-id');
    await page
      .waitForSelector(`[data-testid="catalog-health-row"] [data-testid="catalog-latest-scan"][data-scan-id="${snapshotId}"]`)
      .catch(() => mismatches.push(`after the scan, the catalog health card does not show scan #${snapshotId} as the latest`));
    checkHealth(await catalogHealth(page), apiCatalogs, 'after the scan', mismatches);
    log('catalog health checked after the scan');

    // 3c. A URL naming an unknown catalog says so and leads back to the default one.
    await page.goto(`${base}/tables?catalog=no-such-catalog`, { waitUntil: 'domcontentloaded' });
    const unknown = await page
      .waitForSelector('[data-testid="unknown-catalog"]')
      .catch(() => fail('/tables?catalog=no-such-catalog did not show the unknown catalog error'));
    const unknownText = (await unknown.textContent()) ?? '';
    if (!unknownText.includes('no-such-catalog')) mismatches.push(`the unknown catalog error does not name it: ${unknownText}`);
    await page.click('[data-testid="catalog-default-link"]');
    await page.waitForSelector('[data-testid="tables-total"]').catch(() => fail('the link back to the default catalog did not open the table explorer'));
    check('URL after the link back to the default catalog', new URL(page.url()).search, '');
    log('unknown catalog checked');

    // 4. The table explorer, all tables by name, page by page.
    const shown = new Map();
    let total = Infinity;
    for (let offset = 0; offset < total; offset += PAGE_LIMIT) {
      const url = `${base}/tables?sort=name&order=asc&limit=${PAGE_LIMIT}${offset ? `&offset=${offset}` : ''}`;
      await page.goto(url, { waitUntil: 'domcontentloaded' });
      await page
        .waitForSelector('[data-testid="tables-total"], [data-testid="api-error"]')
        .catch(() => fail(`the table explorer did not load at ${url}`));
      const err = await page.$('[data-testid="api-error"]');
      if (err) fail(`the table explorer shows an API error: ${(await err.textContent())?.trim()}`);
      await waitIdle(page);
      total = (await dataValue(page, 'tables-total')) ?? 0;
      const rows = await page.$$eval('[data-testid="table-row"]', (trs) =>
        trs.map((tr) => ({
          name: tr.getAttribute('data-table'),
          files: Number(tr.querySelector('[data-testid="cell-files"]')?.getAttribute('data-value')),
          small: Number(tr.querySelector('[data-testid="cell-small-files"]')?.getAttribute('data-value')),
          text: tr.querySelector('[data-testid="cell-files"]')?.textContent ?? '',
        })),
      );
      const want = Math.min(PAGE_LIMIT, Math.max(0, total - offset));
      if (rows.length !== want) fail(`the explorer page at offset ${offset} shows ${rows.length} rows, expected ${want} of ${total}`);
      for (const r of rows) {
        if (shown.has(r.name)) mismatches.push(`table ${r.name} is listed twice`);
        shown.set(r.name, r);
      }
      if (total === 0) break;
    }
    check('explorer total', total, expected.tables.length);
    for (const tb of expected.tables) {
      const name = `${tb.database}.${tb.table}`;
      const r = shown.get(name);
      if (!r) {
        mismatches.push(`table ${name} is missing from the explorer`);
        continue;
      }
      check(`${name} files`, r.files, tb.files);
      check(`${name} small files`, r.small, tb.small_files);
      if (r.text.replace(/[^0-9]/g, '') !== String(tb.files)) mismatches.push(`${name} files cell reads "${r.text}", expected ${tb.files}`);
    }
    const known = new Set(expected.tables.map((tb) => `${tb.database}.${tb.table}`));
    for (const name of shown.keys()) if (!known.has(name)) mismatches.push(`the explorer lists ${name}, which the expected scan does not have`);
    log(`explorer checked: ${shown.size} tables`);
    await shot(page, 'tables');

    // 5. The detail page of the table with the most small files.
    const worst = [...expected.tables].sort((a, b) => b.small_files - a.small_files)[0];
    const href = `/tables/${encodeURIComponent(worst.database)}/${encodeURIComponent(worst.table)}`;
    await page.goto(`${base}${href}`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('[data-testid="table-files"]').catch(() => fail(`the table page ${href} did not load`));
    check(`${worst.database}.${worst.table} page files`, await dataValue(page, 'table-files'), worst.files);
    check(`${worst.database}.${worst.table} page small files`, await dataValue(page, 'table-small-files'), worst.small_files);
    await page.waitForSelector('[data-testid="partitions-total"]');
    log(`table page ${href} checked`);
    await shot(page, 'table');

    // 6. Plan a merge of that table (planning changes no file): the job page
    //    opens with the plan's partitions, each eligible or with its reason,
    //    and the job is listed in the merge history. The server has no auth
    //    tokens, so every page warns that the API is open.
    if (!(await page.$('[data-testid="demo-banner"]'))) mismatches.push('the demo-mode banner is missing although the server needs no token');
    await page.click('[data-testid="plan-merge"]');
    const planned = await page
      .waitForSelector('[data-testid="plan-table"], [data-testid="api-error"]')
      .catch(() => fail(`clicking Plan merge on ${href} did not open a plan within ${STEP_TIMEOUT_MS / 1000} s`));
    if ((await planned.getAttribute('data-testid')) === 'api-error') {
      fail(`planning a merge of ${worst.database}.${worst.table} failed: ${(await planned.textContent())?.trim()}`);
    }
    const jobPath = new URL(page.url()).pathname;
    const jobId = /^\/merges\/(\d+)$/.exec(jobPath)?.[1];
    if (!jobId) fail(`Plan merge led to ${jobPath}, not to a merge job page`);
    check(`merge job ${jobId} state`, await page.getAttribute('[data-testid="merge-page"]', 'data-state'), 'planned');
    const planTotal = (await dataValue(page, 'plan-partitions-total')) ?? 0;
    if (planTotal === 0) fail(`the plan of ${worst.database}.${worst.table} lists no partitions`);
    const planRows = await page.$$eval('[data-testid="plan-partition"]', (trs) =>
      trs.map((tr) => ({
        spec: tr.getAttribute('data-spec'),
        eligible: tr.getAttribute('data-eligible') === 'true',
        reason: tr.querySelector('[data-testid="plan-reason"]')?.textContent?.trim() ?? '',
      })),
    );
    check(`plan rows shown of job ${jobId}`, planRows.length, Math.min(planTotal, 50));
    for (const r of planRows) {
      if (!r.eligible && !/^Not eligible: \S/.test(r.reason)) mismatches.push(`plan partition ${r.spec} is not eligible but shows no reason`);
    }
    const eligible = planRows.filter((r) => r.eligible).length;
    if (eligible > 0 && !(await page.$('[data-testid="merge-run"]'))) mismatches.push(`job ${jobId} has eligible partitions but no Merge button`);
    log(`merge job ${jobId} planned: ${planTotal} partitions, ${eligible} of the first ${planRows.length} eligible`);

    // 7. Run it: Merge, confirm, follow the progress to the result, check
    //    that rows are kept in every partition, then roll it back.
    if (eligible > 0) {
      await page.click('[data-testid="merge-run"]');
      await page.click('[data-testid="confirm-merge-confirm"]');
      await page
        .waitForSelector('[data-testid="merge-page"][data-state="succeeded"], [data-testid="merge-page"][data-state="failed"]', {
          timeout: 60_000,
        })
        .catch(() => fail(`merge job ${jobId} did not finish within 60 s`));
      check(`merge job ${jobId} final state`, await page.getAttribute('[data-testid="merge-page"]', 'data-state'), 'succeeded');
      await shot(page, 'merge-job');
      const results = await page.$$eval('[data-testid="result-row"]', (trs) =>
        trs.map((tr) => {
          const rows = tr.querySelector('[data-testid="result-rows"]');
          const files = tr.querySelector('[data-testid="result-files"]');
          return {
            spec: tr.getAttribute('data-spec'),
            step: tr.getAttribute('data-step'),
            rowsBefore: Number(rows?.getAttribute('data-before')),
            rowsAfter: Number(rows?.getAttribute('data-after')),
            filesBefore: Number(files?.getAttribute('data-before')),
            filesAfter: Number(files?.getAttribute('data-after')),
          };
        }),
      );
      if (results.length === 0) fail(`merge job ${jobId} succeeded but shows no results`);
      for (const r of results) {
        check(`partition ${r.spec} step`, r.step, 'swapped');
        check(`partition ${r.spec} rows after the merge`, r.rowsAfter, r.rowsBefore);
        if (!(r.filesAfter < r.filesBefore)) mismatches.push(`partition ${r.spec}: ${r.filesBefore} files before, ${r.filesAfter} after`);
      }
      log(`merge job ${jobId} succeeded: ${results.length} partitions merged, rows kept`);
      await page.click('[data-testid="merge-rollback"]');
      await page.click('[data-testid="confirm-rollback-confirm"]');
      await page
        .waitForSelector('[data-testid="merge-page"][data-state="rolled_back"]')
        .catch(() => fail(`merge job ${jobId} was not rolled back`));
      log(`merge job ${jobId} rolled back`);
    }
    await page.goto(`${base}/merges`, { waitUntil: 'domcontentloaded' });
    await page
      .waitForSelector(`[data-testid="merge-row"][data-id="${jobId}"]`)
      .catch(() => fail(`merge job ${jobId} is missing from the merge history`));
    log('merge history checked');
    await shot(page, 'merges');

    // 8. A screenshot of the home page.
    if (screenshot) {
      await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('[data-testid="summary-files"]');
      await page.waitForSelector('[data-testid="histogram-chart"] canvas');
      await page.waitForSelector('[data-testid="trend-chart"] canvas');
      await waitIdle(page);
      await page.waitForTimeout(800); // chart animations
      const out = resolve(screenshot);
      await mkdir(dirname(out), { recursive: true });
      await page.screenshot({ path: out, fullPage: true });
      log(`screenshot saved to ${out}`);
    }
    if (shotsDir) {
      await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('[data-testid="trend-chart"] canvas');
      await shot(page, 'home');
      await page.evaluate(() => window.localStorage.setItem('shoal.lang', 'zh'));
      await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('[data-testid="trend-chart"] canvas');
      await shot(page, 'home-zh');
      await page.evaluate(() => window.localStorage.setItem('shoal.lang', 'en'));
    }
  } finally {
    await browser.close();
  }

  if (pageErrors.length) mismatches.push(...pageErrors.map((e) => `uncaught error in the page: ${e}`));
  if (apiErrors.length) mismatches.push(...apiErrors.map((e) => `API server error: ${e}`));
  if (mismatches.length) {
    console.error(`[e2e] FAILED: ${mismatches.length} mismatch(es)`);
    for (const m of mismatches) console.error(`  - ${m}`);
    process.exit(1);
  }
  log('PASSED');
}

main().catch((err) => {
  if (err instanceof Failure) console.error(`[e2e] FAILED: ${err.message}`);
  else console.error('[e2e] FAILED with an unexpected error:', err);
  process.exit(1);
});
