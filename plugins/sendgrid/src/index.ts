import { sendgridContactsConnector } from './contacts/contacts-connector';

/** Marketing Contacts, list model (slug `sendgrid`): the core sends adds and removes of one list. */
export const sendgridContacts = sendgridContactsConnector();
/** Mail Send, send model (slug `sendgrid-email`): one e-mail per new member. */
export { sendgridEmail } from './mail/mail-connector';
export { sendgridContactsConnector } from './contacts/contacts-connector';
export type { SendgridContactsOptions } from './contacts/contacts-connector';
export type { ContactsSettings } from './contacts/contacts-settings';
export type { MailSettings } from './mail/mail-settings';
export type { SendgridSecrets } from './sendgrid-client';
