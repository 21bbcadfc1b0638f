import {
  BatchImportFindingsCommand,
  EnableSecurityHubCommand,
  GetFindingsCommand,
  SecurityHubClient,
  type AwsSecurityFinding,
  type AwsSecurityFindingFilters,
} from '@aws-sdk/client-securityhub';
import { describe, expect, it } from 'vitest';
import { newAccountId, testClientConfig, withAccount } from '../../support/emulator-account.js';
import { caught } from './helpers.js';

/**
 * The emulator's Security Hub (keyrot_moto/securityhub.py), read against the API reference
 * (BatchImportFindings, GetFindings, AwsSecurityFindingFilters, WorkflowUpdate) and the user guide
 * ("BatchImportFindings for finding providers", "Required top-level ASFF attributes").
 */
function hub(enabled = true) {
  const accountId = newAccountId();
  const region = 'eu-west-1';
  const client = withAccount(new SecurityHubClient(testClientConfig(accountId, region)), accountId);
  const product = `arn:aws:securityhub:${region}:${accountId}:product/${accountId}/default`;
  const ready = enabled
    ? client.send(new EnableSecurityHubCommand({})).then(() => undefined)
    : Promise.resolve();
  const finding = (id: string, extra: Partial<AwsSecurityFinding> = {}): AwsSecurityFinding => ({
    SchemaVersion: '2018-10-08',
    Id: id,
    ProductArn: product,
    GeneratorId: `keyrot/${id.split('/')[0]}`,
    AwsAccountId: accountId,
    Types: ['Software and Configuration Checks/AWS Security Best Practices'],
    CreatedAt: '2026-01-01T00:00:00.000Z',
    UpdatedAt: '2026-01-01T00:00:00.000Z',
    Severity: { Label: 'LOW' },
    Title: 'title',
    Description: 'description',
    Resources: [{ Type: 'Other', Id: `arn:aws:apigateway:${region}::/apikeys/${id}` }],
    Compliance: { Status: 'FAILED' },
    RecordState: 'ACTIVE',
    ...extra,
  });
  const get = async (Filters: AwsSecurityFindingFilters = {}) => {
    const found: AwsSecurityFinding[] = [];
    let NextToken: string | undefined;
    do {
      const page = await client.send(new GetFindingsCommand({ Filters, MaxResults: 100, NextToken }));
      found.push(...(page.Findings ?? []));
      NextToken = page.NextToken;
    } while (NextToken !== undefined && NextToken !== '');
    return found;
  };
  const put = (findings: AwsSecurityFinding[]) =>
    client.send(new BatchImportFindingsCommand({ Findings: findings }));
  return { accountId, region, client, product, ready, finding, get, put };
}

describe('Security Hub on the emulator', () => {
  it('answers InvalidAccessException while the account has not enabled Security Hub in the region', async () => {
    const h = hub(false);
    const read = await caught(h.get());
    expect(read?.name).toBe('InvalidAccessException');
    expect(read?.message).toContain('not subscribed to AWS Security Hub');
    expect((await caught(h.put([h.finding('unused/k1')])))?.name).toBe('InvalidAccessException');
  });

  it('imports into the caller’s default product only, at most 100 findings a call', async () => {
    const h = await (async () => {
      const x = hub();
      await x.ready;
      return x;
    })();
    const other = `arn:aws:securityhub:${h.region}:111122223333:product/111122223333/default`;
    expect((await caught(h.put([h.finding('unused/k1', { ProductArn: other })])))?.name).toBe(
      'AccessDeniedException',
    );
    expect((await caught(h.put([h.finding('unused/k1', { AwsAccountId: '111122223333' })])))?.name).toBe(
      'AccessDeniedException',
    );
    const many = Array.from({ length: 101 }, (_, i) => h.finding(`unused/k${i}`));
    expect((await caught(h.put(many)))?.name).toBe('InvalidInputException');
    const out = await h.put(many.slice(0, 100));
    expect(out).toMatchObject({ SuccessCount: 100, FailedCount: 0 });
    expect(await h.get()).toHaveLength(100);
  });

  it('returns a finding without a required attribute in FailedFindings and imports the others', async () => {
    const h = hub();
    await h.ready;
    const { Title: _t, ...noTitle } = h.finding('unused/bad');
    const out = await h.put([noTitle as AwsSecurityFinding, h.finding('unused/good', { Resources: [] })]);
    expect(out.FailedCount).toBe(2);
    expect(out.FailedFindings?.map((f) => [f.Id, f.ErrorCode])).toEqual([
      ['unused/bad', 'InvalidInput'],
      ['unused/good', 'InvalidInput'],
    ]);
    expect(out.FailedFindings?.[0]?.ErrorMessage).toContain('Title');
    const fine = await h.put([
      h.finding('unused/ok', {
        Severity: undefined,
        FindingProviderFields: { Severity: { Label: 'HIGH' }, Types: ['x/y'] },
        Types: undefined,
      }),
    ]);
    expect(fine).toMatchObject({ SuccessCount: 1, FailedCount: 0 });
    expect((await h.get())[0]).toMatchObject({ Severity: { Label: 'HIGH' }, Types: ['x/y'] });
  });

  it('an update keeps CreatedAt and the customer’s fields, and moves the workflow as Security Hub does', async () => {
    const h = hub();
    await h.ready;
    await h.put([h.finding('unused/k1')]);
    const status = async () => (await h.get({ Id: [{ Value: 'unused/k1', Comparison: 'EQUALS' }] }))[0];
    expect((await status())?.Workflow?.Status).toBe('NEW');

    // A provider can't set the workflow, a note or its own CreatedAt after creation.
    await h.put([
      h.finding('unused/k1', {
        CreatedAt: '2026-03-01T00:00:00.000Z',
        UpdatedAt: '2026-03-01T00:00:00.000Z',
        Workflow: { Status: 'SUPPRESSED' },
        Note: { Text: 'provider note', UpdatedBy: 'x', UpdatedAt: '2026-03-01T00:00:00.000Z' },
      }),
    ]);
    const updated = await status();
    expect(updated).toMatchObject({
      CreatedAt: '2026-01-01T00:00:00.000Z',
      UpdatedAt: '2026-03-01T00:00:00.000Z',
    });
    expect(updated?.Workflow?.Status).toBe('NEW');
    expect(updated?.Note).toBeUndefined();

    // ARCHIVED (or PASSED): NEW becomes RESOLVED.
    await h.put([h.finding('unused/k1', { RecordState: 'ARCHIVED', Compliance: { Status: 'PASSED' } })]);
    expect(await status()).toMatchObject({ RecordState: 'ARCHIVED', Workflow: { Status: 'RESOLVED' } });
    // ACTIVE and FAILED again: back to NEW.
    await h.put([h.finding('unused/k1')]);
    expect(await status()).toMatchObject({ RecordState: 'ACTIVE', Workflow: { Status: 'NEW' } });
    // Compliance PASSED alone resolves too; FAILED again reopens.
    await h.put([h.finding('unused/k1', { Compliance: { Status: 'PASSED' } })]);
    expect((await status())?.Workflow?.Status).toBe('RESOLVED');
    await h.put([h.finding('unused/k1', { Compliance: { Status: 'WARNING' } })]);
    expect((await status())?.Workflow?.Status).toBe('NEW');
    // Created archived: RESOLVED from the start.
    await h.put([h.finding('unused/k2', { RecordState: 'ARCHIVED' })]);
    expect((await h.get({ Id: [{ Value: 'unused/k2', Comparison: 'EQUALS' }] }))[0]?.Workflow?.Status).toBe(
      'RESOLVED',
    );
  });

  it('filters on the string fields keyrot reads: EQUALS, PREFIX, NOT_EQUALS, ANDed across fields', async () => {
    const h = hub();
    await h.ready;
    await h.put([
      h.finding('unused/k1'),
      h.finding('orphaned/k2', { RecordState: 'ARCHIVED', Compliance: { Status: 'PASSED' } }),
      h.finding('other/k3', { GeneratorId: 'someone-else/x' }),
    ]);
    const ids = async (filters: AwsSecurityFindingFilters) => (await h.get(filters)).map((f) => f.Id).sort();
    const eq = (Value: string) => [{ Value, Comparison: 'EQUALS' as const }];
    expect(await ids({ GeneratorId: [{ Value: 'keyrot/', Comparison: 'PREFIX' }] })).toEqual([
      'orphaned/k2',
      'unused/k1',
    ]);
    expect(
      await ids({
        ProductArn: eq(h.product),
        GeneratorId: [{ Value: 'keyrot/', Comparison: 'PREFIX' }],
        RecordState: eq('ACTIVE'),
      }),
    ).toEqual(['unused/k1']);
    expect(await ids({ RecordState: [{ Value: 'ACTIVE', Comparison: 'NOT_EQUALS' }] })).toEqual([
      'orphaned/k2',
    ]);
    expect(await ids({ WorkflowStatus: eq('RESOLVED') })).toEqual(['orphaned/k2']);
    expect(await ids({ ComplianceStatus: eq('FAILED') })).toEqual(['other/k3', 'unused/k1']);
    expect(await ids({ AwsAccountId: eq(h.accountId), Id: eq('other/k3') })).toEqual(['other/k3']);
    expect(
      await ids({
        ResourceId: [{ Value: `arn:aws:apigateway:${h.region}::/apikeys/unused`, Comparison: 'PREFIX' }],
      }),
    ).toEqual(['unused/k1']);
    // Two values of one field: either matches.
    expect(await ids({ Id: [...eq('unused/k1'), ...eq('other/k3')] })).toEqual(['other/k3', 'unused/k1']);
    expect(
      await ids({
        ProductArn: eq(`arn:aws:securityhub:${h.region}:111122223333:product/111122223333/default`),
      }),
    ).toEqual([]);
  });

  it('pages GetFindings by MaxResults and NextToken', async () => {
    const h = hub();
    await h.ready;
    await h.put(Array.from({ length: 30 }, (_, i) => h.finding(`unused/k${i}`)));
    const first = await h.client.send(new GetFindingsCommand({ MaxResults: 25 }));
    expect(first.Findings).toHaveLength(25);
    expect(first.NextToken).toBeTruthy();
    expect(await h.get()).toHaveLength(30);
  });
});
