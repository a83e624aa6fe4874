// The pages of strata serve in a real browser (Debian's chromium driven by playwright-core), over
// the retail example's real gold: every page loads with no console error and no failed request;
// the dashboard's numbers are the same SQL run through `strata query`'s path; a filter changes
// every widget it binds; a file landed and processed while the page is open changes the tiles
// without a reload; an action is refused without serve.auth. Screenshots of each page go to
// test-output/screenshots for a person to look at.
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openProject } from '../../src/project/project.js';
import { copyRetailTemplate, landRetailDay, landRetailHistory, type Project } from '../../src/project/index.js';
import { startServer, type RunningServer } from '../../src/serve/index.js';
import { launchBrowser, screenshot, watchedPage } from '../helpers/browser.js';

// What the functions run in the page see (the tests' TypeScript has no DOM library).
declare const document: {
  querySelector(selector: string): { getAttribute(name: string): string | null } | null;
  querySelectorAll(selector: string): { length: number };
};
declare const echarts: {
  getInstanceByDom(el: unknown): { getOption(): { series: { data: unknown[] }[] } } | undefined;
};

let project: Project;
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'strata-pages-')), 'retail');
  copyRetailTemplate(dir);
  landRetailHistory(dir, { days: 45, rowsPerDay: 40, seed: 7 });
  appendFileSync(path.join(dir, 'strata.yaml'), '\nserve:\n  sql_editor: true\n');
  project = await openProject(dir);
  const outcome = await project.runPipeline(await project.loadPipeline('retail'), { maxParallel: 2 });
  expect(outcome.status, outcome.error).toBe('COMPLETED');
  server = await startServer(project, { port: 0, liveMs: 100 });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await project?.engine.close();
});

/** The number a counter tile shows (its raw value). */
async function tile(page: Page, title: string): Promise<number> {
  return Number(await page.locator(`[data-widget="${title}"] .value`).getAttribute('data-value'));
}

async function sql(text: string): Promise<unknown[][]> {
  return (await project.query(text)).rows;
}

describe('the pages in a browser', () => {
  it('every page loads with no console error and no failed request', async () => {
    // A table with rows in quarantine (the generator plants defects that rules set aside).
    const tables = (await (await fetch(`${server.url}/api/tables`)).json()) as { name: string; rows: number }[];
    const quarantined = tables.find((t) => t.name.endsWith('_quarantine') && t.rows > 0);
    expect(quarantined).toBeDefined();
    const held = quarantined!.name.replace(/_quarantine$/, '');
    const pages: [string, string, string][] = [
      ['/', '[data-widget="Revenue"] .value', 'dashboard-overview'],
      ['/dashboards/retail?page=1', '[data-widget="Variant performance"] svg', 'dashboard-products'],
      ['/quality', 'table.grid', 'quality'],
      [`/quality/${held}`, '[data-quarantine] tbody tr', 'quality-quarantine'],
      ['/pipelines', '.node', 'pipelines'],
      ['/jobs', 'h1', 'jobs'],
      ['/tables', 'table.grid', 'tables'],
      ['/tables/gold.fact_sales', 'table.grid', 'table-fact-sales'],
      ['/sql', 'textarea.sql', 'sql'],
    ];
    for (const [route, ready, shot] of pages) {
      const { page, problems } = await watchedPage(browser);
      await page.goto(`${server.url}${route}`);
      await page.waitForSelector(ready);
      await page.waitForLoadState('networkidle').catch(() => undefined);
      await screenshot(page, shot);
      expect(problems, route).toEqual([]);
      expect(await page.locator('.error:not(:empty)').allTextContents(), route).toEqual([]);
      await page.close();
    }
  });

  it('the dashboard shows what the same SQL gives; a filter changes every widget it binds', async () => {
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${server.url}/dashboards/retail`);
    await page.waitForSelector('[data-widget="Revenue"] .value');
    // The tiles against gold's own KPI view (another query over the same tables).
    const [[revenue, quantity, customers, asp]] = await sql(
      'SELECT total_revenue, total_quantity, unique_customers, average_selling_price FROM gold.kpi_overview',
    );
    expect(await tile(page, 'Revenue')).toBe(Number(revenue));
    expect(await tile(page, 'Quantity')).toBe(Number(quantity));
    expect(await tile(page, 'Customers')).toBe(Number(customers));
    expect(await tile(page, 'Average selling price')).toBe(Number(asp));
    const topProducts = await page.locator('[data-widget="Top products"] tbody tr').count();
    expect(topProducts).toBe(Math.min(10, Number((await sql('SELECT count(*) FROM gold.kpi_top_products'))[0][0])));

    // Only the online channel: every tile bound to the channel parameter changes to online's
    // figures; the one that does not read it is not even asked for again.
    const products = await tile(page, 'Products in the catalog');
    expect(products).toBe(Number((await sql('SELECT count(*) FROM gold.dim_product WHERE __END_AT IS NULL'))[0][0]));
    const asked: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/data?')) asked.push(new URL(r.url()).searchParams.get('datasets') ?? '');
    });
    await page.locator('[data-filter="Channel"] input[value="online"]').check();
    const [[onlineRevenue, onlineQuantity, onlineCustomers]] = await sql(
      "SELECT sum(revenue), sum(quantity), count(DISTINCT customer_id) FROM gold.agg_monthly_sales WHERE channel = 'online'",
    );
    await expectTile(page, 'Revenue', Number(onlineRevenue));
    expect(await tile(page, 'Quantity')).toBe(Number(onlineQuantity));
    expect(await tile(page, 'Customers')).toBe(Number(onlineCustomers));
    expect(Number(onlineRevenue)).toBeLessThan(Number(revenue));
    // The share chart now has one slice.
    await page.waitForFunction(
      () =>
        echarts
          .getInstanceByDom(document.querySelector('[data-widget="Revenue share by channel"] .chart-area'))
          ?.getOption().series[0].data.length === 1,
    );
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.flatMap((d) => d.split(','))).not.toContain('catalog');
    expect(await tile(page, 'Products in the catalog')).toBe(products);
    await screenshot(page, 'dashboard-online');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a file landed while the page is open changes the tiles without a reload', async () => {
    const { page, problems } = await watchedPage(browser);
    let loads = 0;
    page.on('load', () => loads++);
    await page.goto(`${server.url}/dashboards/retail`);
    await page.waitForSelector('[data-widget="Revenue"] .value');
    const before = await tile(page, 'Revenue');
    landRetailDay(project.dir);
    const outcome = await project.runPipeline(await project.loadPipeline('retail'), { maxParallel: 2 });
    expect(outcome.status, outcome.error).toBe('COMPLETED');
    const [[after]] = await sql('SELECT total_revenue FROM gold.kpi_overview');
    expect(Number(after)).toBeGreaterThan(before);
    await expectTile(page, 'Revenue', Number(after));
    expect(loads).toBe(1);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('an action is refused without serve.auth, and says why', async () => {
    const { page } = await watchedPage(browser);
    await page.goto(`${server.url}/jobs`);
    await page.waitForSelector('button');
    await page.locator('button', { hasText: 'Run now' }).first().click();
    await page.waitForSelector('#action-error:not(:empty)');
    expect(await page.locator('#action-error').textContent()).toMatch(/actions need serve\.auth in strata\.yaml/);
    expect(await page.locator('#session').textContent()).toBe('read-only');
    // Replaying a quarantine is an action too.
    const tables = (await (await fetch(`${server.url}/api/tables`)).json()) as { name: string; rows: number }[];
    const held = tables.find((t) => t.name.endsWith('_quarantine') && t.rows > 0)!.name.replace(/_quarantine$/, '');
    await page.goto(`${server.url}/quality/${held}`);
    await page.locator('button', { hasText: 'Replay' }).click();
    await page.waitForSelector('[data-replay]:not(:empty)');
    expect(await page.locator('[data-replay]').textContent()).toMatch(/actions need serve\.auth/);
    await page.close();
  });

  it('the SQL editor answers Spark SQL over the tables, and refuses writes', async () => {
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${server.url}/tables`);
    await page.locator('nav a', { hasText: 'SQL' }).click(); // shown: serve.sql_editor is on
    const editor = page.locator('textarea.sql');
    const query =
      'SELECT channel, sum(revenue) AS revenue FROM gold.agg_monthly_sales GROUP BY channel ORDER BY channel';
    await editor.fill(query);
    await editor.press('Control+Enter');
    await page.waitForSelector('.sql-result table.grid');
    const expected = await sql(query);
    expect(await page.locator('.sql-result [data-rows]').getAttribute('data-rows')).toBe(String(expected.length));
    const cells = await page.locator('.sql-result tbody tr td:first-child').allTextContents();
    expect(cells).toEqual(expected.map((r) => String(r[0])));
    await screenshot(page, 'sql-result');
    const [[before]] = await sql('SELECT count(*) FROM gold.fact_sales');
    await editor.fill('DELETE FROM gold.fact_sales');
    await page.locator('form.sql-editor button').click();
    await page.waitForSelector('.sql-result .error');
    expect(await page.locator('.sql-result .error').textContent()).toMatch(
      /DELETE is a write: this session only reads/,
    );
    expect((await sql('SELECT count(*) FROM gold.fact_sales'))[0][0]).toBe(before);
    expect(problems.filter((p) => !/400/.test(p))).toEqual([]); // the refusal is the API's 400
    await page.close();
  });
});

async function expectTile(page: Page, title: string, value: number): Promise<void> {
  await page.waitForFunction(
    ([t, v]) => Number(document.querySelector(`[data-widget="${t}"] .value`)?.getAttribute('data-value')) === v,
    [title, value] as const,
    { timeout: 15_000 },
  );
}

describe('signed in, in a browser', () => {
  it('signs in with the token, runs a job from the page, then repairs its run', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'strata-signin-')), 'p');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'strata.yaml'),
      `serve:\n  auth:\n    token: \${env:STRATA_PAGE_TOKEN}\njobs:\n  broken:\n    tasks:\n      - { task_key: boom, command_task: { command: [${JSON.stringify(process.execPath)}, -e, "process.exit(2)"] } }\n`,
    );
    const small = await openProject(dir, { env: { STRATA_PAGE_TOKEN: 'page-token' } });
    const srv = await startServer(small, { port: 0 });
    try {
      const { page, problems } = await watchedPage(browser);
      await page.goto(`${srv.url}/jobs`);
      await page.fill('#session input[type=password]', 'wrong');
      await page.click('#session button[type=submit]');
      await page.waitForSelector('#session input[placeholder="wrong token or password"]');
      await page.fill('#session input[type=password]', 'page-token');
      await page.click('#session button[type=submit]');
      await page.waitForSelector('#session button:has-text("Sign out")');
      await page.locator('button', { hasText: 'Run now' }).click();
      await page.waitForURL(/\/jobs\/runs\/\d+$/);
      await page.waitForSelector('h1 .status.FAILED', { timeout: 30_000 });
      await page.locator('button', { hasText: 'Repair failed tasks' }).click();
      await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 2, undefined, {
        timeout: 30_000,
      });
      await page.waitForSelector('h1 .status.FAILED', { timeout: 30_000 }); // the repaired run has ended
      await screenshot(page, 'run-repaired');
      // The sign-in with the wrong token answered 401 (and the browser logged it): expected.
      expect(problems.filter((p) => !/\b401\b/.test(p))).toEqual([]);
      expect(problems.some((p) => /HTTP 401: .*\/api\/login$/.test(p))).toBe(true);
      await page.close();
    } finally {
      await srv.close();
      small.engine.close();
    }
  });
});
