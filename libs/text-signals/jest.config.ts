/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
export default {
  displayName: 'text-signals',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
