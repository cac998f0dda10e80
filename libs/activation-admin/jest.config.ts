/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
export default {
  displayName: 'activation-admin',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
