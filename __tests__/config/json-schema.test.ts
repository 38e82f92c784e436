import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { compactDuration, durationMs, parseDuration, suggestDuration } from '../../src/config/duration.js';
import { CONFIG_SCHEMA_ID, configJsonSchema } from '../../src/config/json-schema.js';
import { parseConfig } from '../../src/config/load.js';
import { TIME_ZONES } from '../../src/config/time-zones.js';

const example = readFileSync(new URL('../fixtures/product-example.yml', import.meta.url), 'utf8');
const committed = JSON.parse(readFileSync(new URL('../../schema/stagegate.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;

describe('durations', () => {
  it.each([
    ['30s', 30_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1w', 604_800_000],
    ['250ms', 250],
    ['1.5h', 5_400_000],
    ['1h30m', 5_400_000],
    ['1h 30m', 5_400_000],
    ['1d12h', 129_600_000],
    ['2h15m30s', 8_130_000],
    ['1m500ms', 60_500],
  ])('%s is %d ms', (text, value) => {
    expect(parseDuration(text)).toBe(value);
    expect(durationMs(text)).toBe(value);
  });

  it.each(['', '30', '30 minutes', 'h', '1hh', '-5m', '1y', '1h30', 'm30'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeNull();
  });

  it('accepts compound durations everywhere durations are (soak, timeouts, metric window and interval)', () => {
    let text = example.replace('soak: 30m', 'soak: 1h30m').replace('timeout: 10s', 'timeout: 1m30s').replace('window: 10m ', 'window: 10m30s').replace('interval: 1m', 'interval: 1m15s');
    text = text.replace('command: ./scripts/deploy.sh', 'command: ./scripts/deploy.sh\n      timeout: 1h15m');
    const r = parseConfig(text);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const [staging, production] = r.config.stages;
    expect(durationMs(production!.soak!)).toBe(5_400_000);
    expect(durationMs(staging!.deploy!.timeout)).toBe(4_500_000);
    expect(staging!.verify!.smoke[0]!.timeout).toBe('1m30s');
    expect(durationMs(staging!.verify!.metrics!.window)).toBe(630_000);
    expect(durationMs(staging!.verify!.metrics!.interval)).toBe(75_000);
  });

  it.each([
    ['30 minutes', '30m'],
    ['1 hour', '1h'],
    ['90 seconds', '1m30s'],
    ['1 hour and 30 minutes', '1h30m'],
    ['2 days', '2d'],
    ['30', null],
    ['soon', null],
  ])('suggests %j → %j', (text, suggestion) => {
    expect(suggestDuration(text)).toBe(suggestion);
  });

  it('writes the compact form back', () => {
    expect([5_400_000, 45_000, 250, 0, 90_061_001].map(compactDuration)).toEqual(['1h30m', '45s', '250ms', '0s', '1d1h1m1s1ms']);
  });
});

describe('the JSON Schema for editors', () => {
  const schema = configJsonSchema();
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  const check = ajv.compile(schema);
  const valid = (text: string): boolean => check(parse(text));

  it('is the committed schema/stagegate.schema.json, with an $id and a title', () => {
    expect(committed).toEqual(schema);
    expect(schema.$id).toBe(CONFIG_SCHEMA_ID);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it('accepts the configuration contract and compound durations', () => {
    expect(valid(example)).toBe(true);
    expect(valid(example.replace('soak: 30m', 'soak: 1h30m'))).toBe(true);
  });

  it.each([
    ['soak: 30 minutes', 'soak: 30m', 'soak: 30 minutes'],
    ['a bad time zone', 'timezone: Europe/Berlin', 'timezone: Europe/Berln'],
    ['a bad date', 'to: 2027-01-04', 'to: 4.1.2027'],
    ['bad hours', 'hours: "09:00-16:00"', 'hours: "9-16"'],
    ['a bad day', 'days: [mon, tue, wed, thu]', 'days: [mon, tues]'],
    ['an unknown key', 'approvals: 2\n      reviewers', 'aprovals: 2\n      reviewers'],
    ['a team without @', '"@acme/payments-leads"', '"acme/payments-leads"'],
  ])('rejects %s, as Stagegate does', (_what, from, to) => {
    const text = example.replace(from, to);
    expect(valid(text)).toBe(false);
    expect(parseConfig(text).ok).toBe(false);
  });

  it('lists every IANA time zone, links included, as an enum', () => {
    const defs = schema.$defs as Record<string, { enum?: string[]; pattern?: string }>;
    expect(defs['time-zone']?.enum).toEqual([...TIME_ZONES]);
    expect(TIME_ZONES).toEqual(expect.arrayContaining(['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Asia/Calcutta', 'Etc/GMT+5']));
    expect(TIME_ZONES.length).toBeGreaterThan(500);
    expect(defs.duration?.pattern).toBeDefined();
    expect(defs.date?.pattern).toBeDefined();
    expect(defs.hours?.pattern).toBeDefined();
  });
});
