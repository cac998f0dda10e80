import { analyticsPoolSize } from './config.schema';
import { ConfigException, loadConfig } from './load-config';

const URL = 'postgres://postgres@127.0.0.1:5432/audiencekit';

function problemsOf(env: NodeJS.ProcessEnv): { variable: string; reason: string }[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigException) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('configuration from the environment', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig({ DATABASE_URL: URL })).toMatchObject({
      DATABASE_URL: URL,
      HOST: '127.0.0.1',
      PORT: 3000,
      LOG_LEVEL: 'info',
      DB_POOL_SIZE: 10,
      API_PROCESSES: 1,
      MIGRATE_ON_START: true,
      SHUTDOWN_GRACE_MS: 10_000,
    });
  });

  it('parses numbers and booleans, and treats an empty value as unset', () => {
    expect(loadConfig({ DATABASE_URL: URL, PORT: '8080', MIGRATE_ON_START: 'false', LOG_LEVEL: '' })).toMatchObject({
      PORT: 8080,
      MIGRATE_ON_START: false,
      LOG_LEVEL: 'info',
    });
  });

  it('names a missing DATABASE_URL and says what to do', () => {
    expect(problemsOf({})).toEqual([{ variable: 'DATABASE_URL', reason: expect.stringMatching(/is required/) }]);
  });

  it('names every bad variable in one message', () => {
    const env = { DATABASE_URL: 'mysql://x', PORT: 'eighty', LOG_LEVEL: 'loud', MIGRATE_ON_START: 'yes', DB_POOL_SIZE: '0' };
    expect(
      problemsOf(env)
        .map((problem) => problem.variable)
        .sort(),
    ).toEqual(['DATABASE_URL', 'DB_POOL_SIZE', 'LOG_LEVEL', 'MIGRATE_ON_START', 'PORT']);
    expect(() => loadConfig(env)).toThrow(/^Invalid configuration: .*DATABASE_URL must be a postgres:\/\/ URL.*PORT /);
  });

  it('reads API_PROCESSES as a count or auto, and names a bad one', () => {
    expect(loadConfig({ DATABASE_URL: URL, API_PROCESSES: '4' }).API_PROCESSES).toBe(4);
    expect(loadConfig({ DATABASE_URL: URL, API_PROCESSES: 'auto' }).API_PROCESSES).toBe('auto');
    for (const bad of ['0', 'two', '2.5', '65']) {
      expect(problemsOf({ DATABASE_URL: URL, API_PROCESSES: bad })).toEqual([
        { variable: 'API_PROCESSES', reason: expect.stringMatching(/1 to 64, or auto/) },
      ]);
    }
  });
});

describe('analytics pool and body read configuration', () => {
  it('defaults: a third of DB_POOL_SIZE (at least 2), 30 s statements, 30 s body reads', () => {
    const config = loadConfig({ DATABASE_URL: URL });
    expect(analyticsPoolSize(config)).toBe(3);
    expect(analyticsPoolSize(loadConfig({ DATABASE_URL: URL, DB_POOL_SIZE: '4' }))).toBe(2);
    expect(analyticsPoolSize(loadConfig({ DATABASE_URL: URL, DB_ANALYTICS_POOL_SIZE: '5' }))).toBe(5);
    expect(config).toMatchObject({ ANALYTICS_STATEMENT_TIMEOUT_MS: 30_000, AK_BODY_READ_TIMEOUT_MS: 30_000 });
  });

  it('names each bad variable', () => {
    const env = { DATABASE_URL: URL, DB_ANALYTICS_POOL_SIZE: '0', ANALYTICS_STATEMENT_TIMEOUT_MS: 'soon', AK_BODY_READ_TIMEOUT_MS: '5' };
    expect(
      problemsOf(env)
        .map((problem) => problem.variable)
        .sort(),
    ).toEqual(['AK_BODY_READ_TIMEOUT_MS', 'ANALYTICS_STATEMENT_TIMEOUT_MS', 'DB_ANALYTICS_POOL_SIZE']);
  });
});
