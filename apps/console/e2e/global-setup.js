// Global setup of the console's jest project (runs only when a console test is selected):
// Chromium must be there (installed by ensure-chromium.sh where missing), and the console is
// built once so the API under test serves the current sources at /console/.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../../..');

module.exports = async function consoleGlobalSetup() {
  try {
    execFileSync('sh', [path.join(__dirname, 'ensure-chromium.sh')], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 300_000 });
  } catch {
    throw new Error(
      'The console browser test needs Debian Chromium at /usr/bin/chromium and could not install it (apps/console/e2e/ensure-chromium.sh printed why).',
    );
  }
  // jest sets NODE_ENV=test, which would make Vite bundle React's development build.
  execFileSync(
    process.execPath,
    [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', path.join(ROOT, 'apps/console'), '--logLevel', 'warn'],
    { cwd: ROOT, stdio: 'inherit', timeout: 120_000, env: { ...process.env, NODE_ENV: 'production' } },
  );
};
