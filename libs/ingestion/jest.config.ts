/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
export default {
  displayName: 'ingestion',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
