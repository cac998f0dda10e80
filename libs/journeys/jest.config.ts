/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
export default {
  displayName: 'journeys',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
