/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
export default {
  displayName: 'segments-domain',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
