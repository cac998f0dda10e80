/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
export default {
  displayName: 'generators',
  preset: '../../jest.preset.js',
  rootDir: '.',
  // The generator's own test writes a probe package under this folder and removes it.
  testPathIgnorePatterns: ['/node_modules/', '/generated-probe/'],
};
