import { deletionRequestSchema } from './deletion-request.schema';

describe('deletionRequestSchema', () => {
  it.each([
    [
      { identifierType: 'email', value: '  Ann.Lee@Example.COM ' },
      { identifierType: 'email', value: 'ann.lee@example.com' },
    ],
    [
      { identifierType: 'phone', value: '+44 7911 123456' },
      { identifierType: 'phone', value: '+447911123456' },
    ],
    [
      { identifierType: 'user_id', value: 'U-1 ' },
      { identifierType: 'user_id', value: 'U-1 ' },
    ], // ids: exactly as sent
    [
      { identifierType: 'anonymous_id', value: 'a-b-c' },
      { identifierType: 'anonymous_id', value: 'a-b-c' },
    ],
  ])('normalises %j as ingestion stores it', (input, expected) => {
    expect(deletionRequestSchema.parse(input)).toEqual(expected);
  });

  it.each([
    [{ identifierType: 'email', value: 'not an email' }, 'value', 'must be an email address'],
    [{ identifierType: 'phone', value: '07911 123456' }, 'value', 'E.164'],
    [{ identifierType: 'ssn', value: '123' }, 'identifierType', ''],
    [{ identifierType: 'user_id', value: '   ' }, 'value', 'must not be empty'],
    [{ identifierType: 'user_id', value: 'u1', extra: true }, '', ''],
  ])('refuses %j, naming the field', (input, path, message) => {
    const parsed = deletionRequestSchema.safeParse(input);
    expect(parsed.success).toBe(false);
    const issue = parsed.error?.issues[0];
    expect(issue?.path.join('.')).toBe(path);
    expect(issue?.message).toContain(message);
  });
});
