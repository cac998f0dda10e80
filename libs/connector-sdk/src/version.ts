/**
 * This SDK's version (semver), equal to `version` in libs/connector-sdk/package.json (a test keeps
 * them equal). A packaged plugin declares the range it was built for as its
 * `peerDependencies["@audiencekit/connector-sdk"]`; the core refuses, at start-up, a package whose
 * range this version does not satisfy.
 * @example SDK_VERSION // '0.1.0'
 */
export const SDK_VERSION = '0.1.0';

/** The npm name of this package, as plugins import it and declare it. */
export const SDK_PACKAGE_NAME = '@audiencekit/connector-sdk';
