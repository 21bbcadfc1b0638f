import { withoutFaketime } from '../../../emulator/start.js';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/main.js';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import type { RunReport } from '../../../functions/core/report.js';
import { CSV_COLUMNS } from '../../../functions/report/csv.js';
import { writeReportFiles } from '../../../functions/report/files.js';
import { accountPlugin, emulatorEndpoint } from '../../support/emulator-account.js';
import { createPlans, dayAt, leakedValues, readAwsState, World } from '../../support/world.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The report is rendered before Chromium opens it (no clock in the page): under the any-date runs'
// libfaketime, Chromium starts without it, as the emulator does (it stalls page loads there).
const BROWSER_ENV = Object.fromEntries(
  Object.entries(withoutFaketime(process.env)).filter((e): e is [string, string] => e[1] !== undefined),
);

/** Splits one RFC 4180 CSV line. */
function cells(line: string): string[] {
  const out: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted && ch === '"' && line[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(cell);
      cell = '';
    } else cell += ch;
  }
  out.push(cell);
  return out;
}

describe('run reports: JSON, CSV and HTML of one run agree, and carry no key value', async () => {
  const world = new World();
  const plans = await createPlans(world.raw().apigw, ['gold', 'silver']);
  for (const [i, credential] of ['acme', 'globex', 'initech'].entries()) {
    await onboardCredential(
      { ...world.clients(), config: world.config, now: dayAt(i * 10) },
      { credential, usagePlanIds: [plans[i % 2]!], policy: '30d' },
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'keyrot-reports-'));
  const runs = [];
  for (const d of [30, 37, 40, 47, 50, 51, 57, 60]) {
    const result = await world.run(d);
    runs.push(result);
    await writeReportFiles(dir, result.report);
  }
  const last = runs.at(-1)!;
  const paths = await writeReportFiles(join(dir, 'last'), last.report);
  const json = JSON.parse(readFileSync(paths.json, 'utf8')) as RunReport;

  it('CSV and JSON agree key by key', () => {
    const [header, ...rows] = readFileSync(paths.csv, 'utf8').trimEnd().split('\r\n');
    expect(cells(header!)).toEqual(['runId', ...CSV_COLUMNS]);
    expect(rows).toHaveLength(json.keys.length);
    for (const [i, line] of rows.entries()) {
      const row = cells(line);
      const key = json.keys[i]!;
      expect(row[0]).toBe(json.runId);
      for (const [c, column] of CSV_COLUMNS.entries()) {
        const value = key[column];
        const text = value === null ? '' : Array.isArray(value) ? value.join(';') : String(value);
        expect({ key: key.keyId, column, value: row[c + 1] }).toEqual({
          key: key.keyId,
          column,
          value: text,
        });
      }
    }
  });

  it('no key value appears in any of the three forms', async () => {
    const { keys } = await readAwsState(world);
    const texts = [paths.json, paths.csv, paths.html].map((p) => readFileSync(p, 'utf8'));
    expect(
      leakedValues(
        keys.map((k) => k.value),
        texts,
      ),
    ).toEqual([]);
  });

  it.skipIf(!existsSync(CHROMIUM) && process.env.CI !== 'true')(
    'the HTML opens in headless Chromium, and its summary shows the JSON totals',
    async () => {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        env: BROWSER_ENV,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--no-first-run',
          '--disable-sync',
        ],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        // No network at all: the page must stand on its own.
        await page.route('**/*', (route) =>
          route.request().url().startsWith('file:') ? route.continue() : route.abort(),
        );
        await page.goto(`file://${paths.html}`);
        await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
        const shown = await page.$$eval('[data-total]', (els) =>
          els.map((e) => [e.getAttribute('data-total'), e.textContent]),
        );
        expect(shown.length).toBeGreaterThan(8);
        for (const [name, text] of shown) {
          expect({ name, text }).toEqual({
            name,
            text: String(json.totals[name as keyof RunReport['totals']]),
          });
        }
        expect(await page.locator('svg[role="img"] rect').count()).toBe(3);
        expect(existsSync(join(dir, 'report.png'))).toBe(true);
      } finally {
        await browser.close();
      }
    },
  );

  it('keyrot report --from --to: every rotation of the period with its evidence, from the stored reports', async () => {
    let stdout = '';
    const code = await runCli(
      [
        'report',
        '--from',
        '2026-01-01',
        '--to',
        '2026-03-31',
        '--reports',
        dir,
        '--json',
        '--endpoint-url',
        emulatorEndpoint(),
      ],
      { stdout: (t) => (stdout += t), stderr: () => {}, plugins: [accountPlugin(world.accountId)] },
    );
    expect(code).toBe(0);
    const period = JSON.parse(stdout);
    expect(period).toMatchObject({
      schema: 'keyrot/period-report@1',
      runs: 8,
      totals: { rotations: 4, failures: 0 },
    });
    const byName = Object.fromEntries(
      period.credentials.map((c: { credential: string }) => [c.credential, c]),
    );
    const days = (c: string, list: 'rotations' | 'retirements') =>
      byName[c][list].map((r: { at: string; kind: string }) => `${r.at.slice(0, 10)} ${r.kind}`);
    const date = (d: number) => dayAt(d).toISOString().slice(0, 10);
    expect(days('acme', 'rotations')).toEqual([`${date(30)} rotate`, `${date(60)} rotate`]);
    expect(days('globex', 'rotations')).toEqual([`${date(40)} rotate`]);
    expect(days('acme', 'retirements')).toEqual([`${date(37)} disable-key`, `${date(51)} delete-key`]);
    expect(byName.acme.rotations[0]).toMatchObject({
      trigger: 'schedule',
      outcome: 'done',
      reason: expect.stringContaining('policy 30d'),
    });
    // A narrower period holds only its own runs.
    let narrow = '';
    await runCli(['report', '--from', date(40), '--to', date(40), '--reports', dir, '--json'], {
      stdout: (t) => (narrow += t),
      stderr: () => {},
    });
    expect(JSON.parse(narrow)).toMatchObject({ runs: 1, totals: { rotations: 1 } });
    // --report-dir writes the period in the three forms the help promises (issue 12, item 2).
    const out = mkdtempSync(join(tmpdir(), 'keyrot-period-'));
    let said = '';
    const code2 = await runCli(
      ['report', '--from', '2026-01-01', '--to', '2026-03-31', '--reports', dir, '--report-dir', out],
      {
        stdout: () => {},
        stderr: (t) => (said += t),
      },
    );
    expect(code2).toBe(0);
    const files = readdirSync(out).sort();
    expect(files).toEqual([
      'period-2026-01-01-2026-03-31.csv',
      'period-2026-01-01-2026-03-31.html',
      'period-2026-01-01-2026-03-31.json',
    ]);
    for (const f of files) expect(said).toContain(f);
    const csv = readFileSync(join(out, files[0]!), 'utf8').trimEnd().split('\r\n');
    const evidence = period.credentials.reduce(
      (n: number, c: { rotations: unknown[]; retirements: unknown[]; interventions: unknown[] }) =>
        n + c.rotations.length + c.retirements.length + c.interventions.length,
      0,
    );
    expect(csv).toHaveLength(1 + evidence);
    expect(readFileSync(join(out, files[1]!), 'utf8')).toContain(
      `data-total="rotations">${period.totals.rotations}<`,
    );
  });
});

describe('a report agrees with itself: summary cards, findings and rows (issue 12, item 5)', async () => {
  const world = new World();
  const [gold] = await createPlans(world.raw().apigw, ['gold']);
  for (const credential of ['late-a', 'late-b']) {
    await onboardCredential(
      { ...world.clients(), config: world.config, now: dayAt(0) },
      { credential, usagePlanIds: [gold!], policy: '30d' },
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'keyrot-agree-'));
  const run = async (verb: 'plan' | 'apply') => {
    const out = await world.cli([verb, '--now', dayAt(40).toISOString(), '--report-dir', join(dir, verb)]);
    expect(out.code, out.stderr).toBe(0);
    const name = readdirSync(join(dir, verb)).find((f) => f.endsWith('.json'))!;
    const report = JSON.parse(readFileSync(join(dir, verb, name), 'utf8')) as RunReport;
    return { out, report, html: join(dir, verb, name.replace(/\.json$/, '.html')) };
  };
  /** What each part of a report says is overdue. */
  const overdue = (report: RunReport) => ({
    card: report.totals.overdue,
    rows: report.keys.filter((k) => k.state === 'active' && !k.compliant).length,
    openFindings: report.findings.filter((f) => f.kind === 'overdue' && f.resolvedByRun === undefined).length,
  });

  it('before the run (plan): two overdue keys everywhere', async () => {
    const { report } = await run('plan');
    expect(overdue(report)).toEqual({ card: 2, rows: 2, openFindings: 2 });
  });

  it('after an apply that rotated them: none overdue anywhere, the findings marked resolved by the run', async () => {
    const { out, report, html } = await run('apply');
    expect(overdue(report)).toEqual({ card: 0, rows: 0, openFindings: 0 });
    expect(report.findings.filter((f) => f.kind === 'overdue').map((f) => f.resolvedByRun)).toEqual([
      'rotate',
      'rotate',
    ]);
    expect(report.totals.findings).toBe(report.findings.filter((f) => f.resolvedByRun === undefined).length);
    expect(out.stdout).not.toMatch(/finding overdue/);
    expect(out.stdout).toMatch(/resolved overdue .*\(by this run: rotate\)/);
    const text = readFileSync(html, 'utf8');
    // The table has the last rotation and the next due date, in a readable form.
    expect(text).toContain('<th>Last rotated</th>');
    expect(text).toContain('<th>Next due</th>');
    const active = report.keys.find((k) => k.state === 'active')!;
    expect(text).toContain(
      `${active.nextRotationAt!.slice(0, 10)} ${active.nextRotationAt!.slice(11, 16)} UTC`,
    );
    if (!existsSync(CHROMIUM) && process.env.CI !== 'true') return;
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      env: BROWSER_ENV,
      args: ['--no-sandbox', '--disable-gpu'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`file://${html}`);
      expect(await page.locator('[data-total="overdue"]').textContent()).toBe('0');
      // Every current key has a bar, the new ones (0 days old) too, and the axis has numbers in days.
      expect(await page.locator('svg[role="img"] g.bars rect').count()).toBe(2);
      const ticks = await page.$$eval('svg[role="img"] g.axis text', (els) => els.map((e) => e.textContent));
      expect(ticks).toContain('0');
      expect(ticks).toContain('days since the key became current');
      expect(await page.locator('svg[role="img"] g.bars text', { hasText: '0 d' }).count()).toBe(2);
    } finally {
      await browser.close();
    }
  });
});
