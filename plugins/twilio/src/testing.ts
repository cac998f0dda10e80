/** The fake vendor server of this plugin, for end-to-end tests of other packages (the worker's) and staging. */
export * from './fake/twilio-fake';
export * from './fake/callback-sender';
