import { normalizeSuppressedValue } from './suppression-input';
import { csvField, csvRow, parseCsvLine, readCsvHeader } from './suppressions-csv';

describe('suppression CSV (pure)', () => {
  const header = readCsvHeader(['identifier_type', 'identifier_value', 'channel', 'reason']);
  if ('problem' in header) throw new Error(header.problem);

  it('reads the header by name, with aliases and in any order; refuses one without type and value', () => {
    expect(readCsvHeader(['Reason', 'VALUE', 'type'])).toEqual({ type: 2, value: 1, channel: null, reason: 0 });
    expect(readCsvHeader(['email', 'a@b.co'])).toEqual({
      problem: expect.stringMatching(/header with identifier_type and identifier_value/),
    });
  });

  it.each([
    [
      ['email', ' Ann@Example.COM ', 'EMAIL', 'unsubscribed'],
      { identifierType: 'email', value: 'ann@example.com', channel: 'email', reason: 'unsubscribed' },
    ],
    [['phone', '+44 7911 123456', '', ''], { identifierType: 'phone', value: '+447911123456', channel: 'all', reason: 'default' }],
    [['user_id', ' u 1 ', 'sms'], { identifierType: 'user_id', value: ' u 1 ', channel: 'sms', reason: 'default' }],
    [['email', 'nope', 'all', 'x'], { problem: 'identifier_value must be an email address' }],
    [['phone', '07911123456', 'all', 'x'], { problem: 'identifier_value must be a phone number in E.164 form (+447911123456)' }],
    [['profile_id', 'abc', 'all', 'x'], { problem: 'identifier_value must be a profile id (a UUID)' }],
    [['fax', '1', 'all', 'x'], { problem: expect.stringMatching(/^identifier_type must be one of email, phone/) }],
    [['email', 'a@b.co', 'pigeon', 'x'], { problem: expect.stringMatching(/^channel must be one of all, email/) }],
    [['email', '', 'all', 'x'], { problem: 'identifier_value must not be empty' }],
    [['email', 'a@b.co', 'all', 'r'.repeat(501)], { problem: 'reason must be at most 500 characters' }],
  ])('parses %j', (fields, expected) => {
    expect(parseCsvLine(fields, header, 'default')).toEqual(expected);
  });

  it('quotes what needs quoting and neutralises spreadsheet formulas, but keeps E.164 phones as they are', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('bounced, hard')).toBe('"bounced, hard"');
    expect(csvField('say "stop"')).toBe('"say ""stop"""');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('+447911123456')).toBe('+447911123456');
    expect(csvField('+1+1')).toBe(`"'+1+1"`);
    expect(csvRow(['a', 'b,c'])).toBe('a,"b,c"\n');
  });

  it('normalises like ingestion', () => {
    expect(normalizeSuppressedValue('email', 'Ann@Example.com')).toEqual({ value: 'ann@example.com' });
    expect(normalizeSuppressedValue('profile_id', ' 0F8FAD5B-D9CB-469F-A165-70867728950E ')).toEqual({
      value: '0f8fad5b-d9cb-469f-a165-70867728950e',
    });
    expect(normalizeSuppressedValue('anonymous_id', 'x'.repeat(1_001))).toEqual({ problem: 'must be at most 1000 characters' });
  });
});
