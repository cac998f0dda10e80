import { STATUS_BY_CODE, STATUS_TABLES } from './status-by-code';

describe('the status table of library exception codes', () => {
  it('gives each code one status: no code appears in two libraries', () => {
    const owners = new Map<string, string[]>();
    for (const [library, table] of Object.entries(STATUS_TABLES)) {
      for (const code of Object.keys(table)) owners.set(code, [...(owners.get(code) ?? []), library]);
    }
    const shared = [...owners].filter(([, libraries]) => libraries.length > 1);
    expect(shared).toEqual([]);
    expect(Object.keys(STATUS_BY_CODE).length).toBe(owners.size);
  });

  it('maps every code to a client error or 503, never to a 500', () => {
    for (const status of Object.values(STATUS_BY_CODE)) expect(status === 503 || (status >= 400 && status < 500)).toBe(true);
  });
});
