import { useApi } from '../use-api';

/** Connectors whose vendor posts callbacks to the API (libs/vendor-events). */
export const CALLBACK_CONNECTORS = new Set(['sendgrid-email', 'twilio']);

interface CallbackUrls {
  publicBaseUrl: string | null;
  urls: { name: string; url: string; where: string }[];
}

/**
 * The URLs to paste at the vendor for one destination (`GET /destinations/:id/callback-urls`):
 * SendGrid's Event Webhook, Twilio's incoming-message webhook (its status callback is sent by the
 * connector). While AK_PUBLIC_BASE_URL is unset the API answers paths only, and this says so.
 */
export function CallbackUrlsCell({ destinationId, connector }: { destinationId: string; connector: string }) {
  const loaded = useApi<CallbackUrls>(CALLBACK_CONNECTORS.has(connector) ? `/destinations/${destinationId}/callback-urls` : null);
  if (!CALLBACK_CONNECTORS.has(connector)) return <span>—</span>;
  if (loaded.error) return <span role="alert">{loaded.error}</span>;
  if (!loaded.data) return <span>…</span>;
  return (
    <div className="callback-urls">
      {loaded.data.publicBaseUrl === null && <p>Set AK_PUBLIC_BASE_URL on the API: vendors need a full public URL.</p>}
      <dl>
        {loaded.data.urls.map((item) => (
          <div key={item.name}>
            <dt>{item.name}</dt>
            <dd>
              <code>{item.url}</code>
              <small> {item.where}</small>
            </dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
