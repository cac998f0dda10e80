/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
export default {
  displayName: 'connector-sdk',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
