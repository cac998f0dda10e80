/** The fake webhook receiver of this plugin, for end-to-end tests of other packages (the worker's) and staging. */
export * from './fake/webhook-receiver';
