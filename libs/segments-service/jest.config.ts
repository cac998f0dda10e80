/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
export default {
  displayName: 'segments-service',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
