/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
export default {
  displayName: 'connector-registry',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
