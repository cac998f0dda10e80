import { EligibleMember, MessageTemplate, renderTemplate } from '@audiencekit/connector-sdk';

/** Mail send takes "up to 1,000 personalizations" a request (maxItems 1000 in tsg_mail_v3.json). */
export const MAX_PERSONALIZATIONS = 1_000;
/**
 * "The total collective size of your substitutions may not exceed 10,000 bytes per personalization
 * object" (personalizations[].substitutions in tsg_mail_v3.json); the Mail Send page says the same
 * of dynamic_template_data. Measured as the JSON-encoded object, an upper bound of keys + values.
 */
export const MAX_PERSONALIZATION_DATA_BYTES = 10_000;
/** The custom argument that carries our delivery key, echoed in SendGrid's event webhook. */
export const DELIVERY_KEY_ARG = 'ak_delivery_key';

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.$-]+)\s*\}\}/g;

/** What @sendgrid/mail takes for one personalization (it snake-cases the keys itself). */
export interface Personalization {
  to: { email: string }[];
  subject?: string;
  substitutions?: Record<string, string>;
  dynamicTemplateData?: Record<string, unknown>;
  customArgs: Record<string, string>;
}

/**
 * The message-level content with every `{{ trait }}` written as a SendGrid substitution tag:
 * `{{trait}}` in text, `{{trait|html}}` in HTML (whose values are HTML-escaped, so a trait can
 * never inject markup). Substitutions are SendGrid's per-recipient mechanism for content, which is
 * shared by all personalizations of a request.
 */
export function contentWithTags(message: MessageTemplate): { text?: string; html?: string; paths: string[] } {
  const paths = new Set<string>();
  const tag = (suffix: string) => (_match: string, path: string) => {
    paths.add(path);
    return `{{${path}${suffix}}}`;
  };
  return {
    text: message.text === undefined ? undefined : message.text.replace(PLACEHOLDER, tag('')),
    html: message.html === undefined ? undefined : message.html.replace(PLACEHOLDER, tag('|html')),
    paths: [...paths],
  };
}

/**
 * One personalization per member. A vendor template (`templateId`) gets the traits as
 * `dynamic_template_data`; otherwise the subject is rendered here and the content's tags get the
 * member's values, each computed with `renderTemplate` so both paths agree on missing traits.
 */
export function personalizationFor(member: EligibleMember, message: MessageTemplate, paths: readonly string[]): Personalization {
  const personalization: Personalization = {
    to: [{ email: member.identifiers.email as string }],
    customArgs: { [DELIVERY_KEY_ARG]: member.deliveryKey },
  };
  if (message.templateId) {
    personalization.dynamicTemplateData = templateData(member);
    return personalization;
  }
  if (message.subject !== undefined) personalization.subject = renderTemplate(message.subject, member);
  if (paths.length > 0) {
    const substitutions: Record<string, string> = {};
    for (const path of paths) {
      const value = renderTemplate(`{{${path}}}`, member);
      substitutions[path] = value;
      substitutions[`${path}|html`] = escapeHtml(value);
    }
    personalization.substitutions = substitutions;
  }
  return personalization;
}

/**
 * A dynamic template's data: the traits, and the computed and SQL trait values the activation uses
 * under `computed` (`{{computed.<key>}}` in the template). A trait object named `computed` keeps its
 * other keys, as `memberValue` falls back to it for a key with no computed value.
 */
function templateData(member: EligibleMember): Record<string, unknown> {
  if (!member.computed) return { ...member.traits };
  const traitComputed = member.traits.computed;
  const base = traitComputed && typeof traitComputed === 'object' && !Array.isArray(traitComputed) ? traitComputed : {};
  return { ...member.traits, computed: { ...base, ...member.computed } };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]);

/**
 * Why SendGrid would refuse this personalization (and with it the whole request), or undefined:
 * a subject that renders empty (`minLength: 1`) or substitutions / template data over 10,000 bytes.
 */
export function personalizationProblem(personalization: Personalization): string | undefined {
  if (personalization.subject !== undefined && personalization.subject.trim() === '')
    return 'the subject renders empty for this member (SendGrid requires at least one character)';
  for (const [field, data] of [
    ['substitutions', personalization.substitutions],
    ['dynamic_template_data', personalization.dynamicTemplateData],
  ] as const) {
    const bytes = data === undefined ? 0 : Buffer.byteLength(JSON.stringify(data));
    if (bytes > MAX_PERSONALIZATION_DATA_BYTES)
      return `${field} for this member is ${bytes} bytes (SendGrid allows at most ${MAX_PERSONALIZATION_DATA_BYTES} per personalization)`;
  }
  return undefined;
}
