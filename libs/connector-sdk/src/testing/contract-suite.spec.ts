import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describeConnectorContract } from './contract-suite';
import { testMembers } from './harness';
import { sampleListConnector, sampleSendConnector, startSampleVendor } from './fixtures/sample-connectors';

const secrets = { apiKey: 'key-12345678' };

describeConnectorContract('sample-list', {
  connector: sampleListConnector,
  startFake: startSampleVendor,
  settings: {},
  secrets,
  members: testMembers(5),
});
describeConnectorContract('sample-send', {
  connector: sampleSendConnector,
  startFake: startSampleVendor,
  settings: {},
  secrets,
  members: testMembers(4),
  message: { text: 'Hi {{first_name}}' },
});

interface JestJson {
  testResults: { assertionResults: { fullName: string; status: 'passed' | 'failed' }[] }[];
}

// The child jest below must not run this file again (a fork bomb if its path filter ever slips).
const describeMeta = process.env.AK_CONTRACT_SUITE_CHILD ? describe.skip : describe;

describeMeta('the contract suite catches broken connectors', () => {
  let failed: Set<string>;
  let passed: Set<string>;
  beforeAll(() => {
    const root = path.resolve(__dirname, '../../../..');
    const result = spawnSync(
      path.join(root, 'node_modules/.bin/jest'),
      [
        '-c',
        'libs/connector-sdk/jest.config.ts',
        '--json',
        '--runTestsByPath',
        'libs/connector-sdk/src/testing/fixtures/broken-connectors.spec.ts',
        '--testPathIgnorePatterns',
        '/node_modules/',
      ],
      { cwd: root, encoding: 'utf8', timeout: 50_000, env: { ...process.env, AK_CONTRACT_SUITE_CHILD: '1' } },
    );
    const report = JSON.parse(result.stdout) as JestJson;
    const results = report.testResults.flatMap((file) => file.assertionResults);
    failed = new Set(results.filter((r) => r.status === 'failed').map((r) => r.fullName));
    passed = new Set(results.filter((r) => r.status === 'passed').map((r) => r.fullName));
  }, 60_000);

  it.each([
    ['swallows-faults', 'surfaces a vendor 429 with Retry-After as retryable, not swallowed'],
    ['swallows-faults', 'surfaces a vendor 500 as retryable, not swallowed'],
    ['logs-secrets', 'never writes a secret value to the logger'],
    ['drops-outcomes', 'returns exactly one outcome per member, with known profile ids'],
    ['bad-definition', 'declares a well-formed definition'],
  ])('fails %s on "%s"', (name, check) => {
    expect(failed).toContain(`connector contract: ${name} ${check}`);
  });

  it('still passes the checks each broken connector does not break', () => {
    expect(passed).toContain('connector contract: swallows-faults declares a well-formed definition');
    expect(passed).toContain('connector contract: logs-secrets surfaces a vendor 500 as retryable, not swallowed');
  });
});
