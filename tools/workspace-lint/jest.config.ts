/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
export default {
  displayName: 'workspace-lint',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
