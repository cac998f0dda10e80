/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
export default {
  displayName: 'journey-engine',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
