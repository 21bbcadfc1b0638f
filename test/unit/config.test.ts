import { describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, parseConfig } from '../../functions/core/config.js';

describe('config', () => {
  it('defaults: 30/60/90-day policies, 90d by default, rotation: tags, keyrot/ secrets', () => {
    const config = defaultConfig();
    expect(Object.keys(config.policies)).toEqual(['30d', '60d', '90d']);
    expect(config).toMatchObject({ defaultPolicy: '90d', tagPrefix: 'rotation:', secretPrefix: 'keyrot/' });
  });

  it('no configuration at all means the defaults', () => {
    expect(parseConfig(undefined)).toEqual(defaultConfig());
  });

  it('multi-region: replica regions and their canaries', () => {
    const config = parseConfig({
      replicaRegions: ['eu-west-1'],
      replicaCanaryUrls: { 'eu-west-1': 'https://eu.example.com/health' },
    });
    expect(config.replicaRegions).toEqual(['eu-west-1']);
    expect(defaultConfig()).toMatchObject({ replicaRegions: [], replicaCanaryUrls: {} });
  });

  it('accepts a custom policy set', () => {
    const config = parseConfig({
      defaultPolicy: 'partners',
      policies: { partners: { periodDays: 60, graceDays: 3, disableWindowDays: 10 } },
    });
    expect(config.policies.partners?.periodDays).toBe(60);
  });

  it.each([
    [
      { policies: { x: { periodDays: 45, graceDays: 1, disableWindowDays: 1 } }, defaultPolicy: 'x' },
      'policies.x.periodDays: periodDays must be 30, 60 or 90',
    ],
    [
      { policies: { x: { periodDays: 30, graceDays: -1, disableWindowDays: 1 } }, defaultPolicy: 'x' },
      'policies.x.graceDays',
    ],
    [
      { defaultPolicy: 'weekly' },
      'defaultPolicy: defaultPolicy "weekly" is not one of the policies (30d, 60d, 90d)',
    ],
    [{ tagPrefix: 'bad prefix!' }, 'tagPrefix: tagPrefix uses tag characters only'],
    [{ canaryUrl: 'not a url' }, 'canaryUrl'],
    [{ leaseBucket: 's3://Keyrot_Lease' }, 'leaseBucket: an S3 bucket name (3-63 of a-z 0-9 . -)'],
    [{ pacing: { leaseWaitSeconds: -1 } }, 'pacing.leaseWaitSeconds'],
    [{ replicaRegions: ['Europe'] }, 'replicaRegions.0: an AWS region name, such as eu-west-1'],
    [
      { replicaRegions: ['eu-west-1'], replicaCanaryUrls: { 'ap-south-1': 'https://ap.example.com/health' } },
      'replicaCanaryUrls.ap-south-1: ap-south-1 is not one of replicaRegions (eu-west-1)',
    ],
    [
      { replicaCanaryUrls: { 'ap-south-1': 'https://ap.example.com/health' } },
      'replicaCanaryUrls.ap-south-1: ap-south-1 is not one of replicaRegions (none)',
    ],
    [{ unknownField: 1 }, 'unknownField'],
    [[], '(root)'],
  ])('rejects %j naming the field', (raw, message) => {
    expect(() => parseConfig(raw, 'keyrot.json')).toThrow(ConfigError);
    expect(() => parseConfig(raw, 'keyrot.json')).toThrow(message);
  });
});

describe('config: securityHub', () => {
  it('is off by default; enabled with an optional runbook base URL', () => {
    expect(defaultConfig().securityHub).toEqual({ enabled: false });
    expect(
      parseConfig({ securityHub: { enabled: true, runbookBaseUrl: 'https://example.com/runbooks/' } })
        .securityHub,
    ).toEqual({ enabled: true, runbookBaseUrl: 'https://example.com/runbooks/' });
  });

  it.each([
    [{ enabled: 'yes' }, 'securityHub.enabled: must be true or false'],
    [
      { runbookBaseUrl: 'ftp://example.com/runbooks/' },
      'securityHub.runbookBaseUrl: runbookBaseUrl must be an http(s) URL',
    ],
    [
      { runbookBaseUrl: 'https://example.com/runbooks' },
      'securityHub.runbookBaseUrl: runbookBaseUrl must end with /',
    ],
    [{ enable: true }, 'securityHub: Unrecognized key: "enable"'],
  ])('names the field: %j', (securityHub, message) => {
    expect(() => parseConfig({ securityHub })).toThrow(message);
  });
});
