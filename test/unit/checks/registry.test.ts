import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHECKS, COUNTED, EXEMPTIBLE, noCounts } from '../../../functions/core/checks/registry.js';
import { parseConfig } from '../../../functions/core/config.js';
import { runMetrics } from '../../../functions/core/metrics.js';
import { plan } from '../../../functions/core/plan.js';
import { buildRunReport } from '../../../functions/core/report.js';
import { reportToHtml } from '../../../functions/report/html.js';
import { at, config, inventory, key } from '../fixtures.js';

const folder = new URL('../../../functions/core/checks/', import.meta.url);

describe('the hygiene and posture registry', () => {
  it('every module in functions/core/checks/ is a registered check', async () => {
    const files = readdirSync(folder).filter(
      (f) => f.endsWith('.ts') && !['check.ts', 'registry.ts'].includes(f),
    );
    expect(files.length).toBe(CHECKS.length);
    for (const file of files) {
      const exported = Object.values(await import(new URL(file, folder).href));
      const checks = exported.filter((v) => CHECKS.includes(v as (typeof CHECKS)[number]));
      expect(checks, `${file} exports a check in CHECKS`).toHaveLength(1);
    }
  });

  it("the README's hygiene table documents every check", () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const table = readme
      .split('### Hygiene')[1]!
      .split('\n\n')
      .find((p) => p.startsWith('| check |'))!;
    const documented = [...table.matchAll(/^\| `([a-z-]+)`/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(CHECKS.map((c) => c.name).sort());
  });

  it('names and finding kinds are unique', () => {
    const names = CHECKS.map((c) => c.name);
    const kinds = CHECKS.flatMap((c) => c.kinds);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(kinds).size).toBe(kinds.length);
  });

  it.each(CHECKS.map((c) => [c.name, c] as const))(
    '%s: its settings are the config section of its name',
    (name, check) => {
      const section = (parseConfig({}).hygiene as Record<string, unknown>)[name];
      expect(section).toEqual(check.settings.parse(undefined));
      // Unknown settings are refused, naming the section.
      expect(() => parseConfig({ hygiene: { [name]: { nonsense: 1 } } })).toThrow(new RegExp(name));
    },
  );

  it('exemption tags accept exactly the exemptible checks', () => {
    expect([...EXEMPTIBLE]).toEqual(CHECKS.filter((c) => c.exemptible).map((c) => c.name));
    const exempt = (checks: string) => ({
      'rotation:exempt': checks,
      'rotation:exempt-until': '2027-12-31',
      'rotation:exempt-reason': 'tested',
    });
    const findings = (checks: string) =>
      plan(inventory([key({ id: 'u1', tags: exempt(checks) })], []), config, at(10)).findings;
    for (const name of EXEMPTIBLE) expect(findings(name).map((f) => f.kind)).not.toContain('malformed-tag');
    expect(findings('quota').map((f) => f.kind)).toContain('malformed-tag');
  });

  it('each counted check has its metric, report total, HTML summary line and dashboard line', () => {
    expect(COUNTED.map((c) => c.name)).toEqual(expect.arrayContaining(['unused', 'orphaned', 'lingering']));
    const counts = noCounts();
    COUNTED.forEach((c, i) => (counts[c.name] = 100 + i));
    const run = plan(inventory([], []), config, at(10));
    const counted = { ...run, stats: { ...run.stats, checks: counts } };
    const metrics = new Map(runMetrics(counted, [], 1).map((m) => [m.name, m.value]));
    const before = inventory([], []);
    const report = buildRunReport({
      runId: 'r',
      trigger: 'manual',
      dryRun: false,
      now: at(10),
      config,
      before,
      plan: counted,
      outcomes: [],
      after: before,
    });
    const html = reportToHtml(report);
    COUNTED.forEach((c, i) => {
      expect(metrics.get(c.metric), c.metric).toBe(100 + i);
      if (c.total === undefined) return;
      expect((report.totals as Record<string, number>)[c.total]).toBe(100 + i);
      expect(html).toContain(`data-total="${c.total}">${100 + i}<`);
    });
  });
});
