/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
export default {
  displayName: 'util',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
