import axios from 'axios';
import { FakeVendorServer, startFakeVendor } from '../testing/fake-vendor-server';
import { createGuardedHttp, refusedTargetIn } from './guarded-http';
import { RefusedTargetError, ResolveAll } from './ssrf-guard';

// Every target here is on 127.0.0.1: a refused request would have gone to loopback, never further.
// Host names are answered by a scripted resolver.

describe('createGuardedHttp', () => {
  let vendor: FakeVendorServer;
  beforeEach(async () => {
    vendor = await startFakeVendor({
      routes: {
        'GET /ok': () => ({ status: 200, body: { ok: true } }),
        'GET /moved': () => ({ status: 302, headers: { Location: '/ok' } }),
      },
    });
  });
  afterEach(async () => {
    await vendor.stop();
  });

  it('refuses a loopback target that nobody allow-listed, before any request', async () => {
    const http = createGuardedHttp({ allowedHosts: () => [] });
    await expect(http.client.get(`${vendor.url}/ok`)).rejects.toBeInstanceOf(RefusedTargetError);
    expect(vendor.requests).toHaveLength(0);
  });

  it('lets the operator-configured vendor base URL through (trusted config)', async () => {
    const http = createGuardedHttp({ allowedHosts: () => [], trustedBaseUrl: vendor.url });
    await expect(http.client.get(`${vendor.url}/ok`)).resolves.toMatchObject({ status: 200, data: { ok: true } });
  });

  it('lets an allow-listed host through', async () => {
    const http = createGuardedHttp({ allowedHosts: () => ['127.0.0.1'] });
    await expect(http.client.get(`${vendor.url}/ok`)).resolves.toMatchObject({ status: 200 });
  });

  it('lets an allow-listed host and port through, and refuses another port of that host before any socket', async () => {
    const port = Number(new URL(vendor.url).port);
    const http = createGuardedHttp({ allowedHosts: () => [`127.0.0.1:${port}`] });
    await expect(http.client.get(`${vendor.url}/ok`)).resolves.toMatchObject({ status: 200 });
    const otherPort = port === 65_535 ? port - 1 : port + 1;
    await expect(http.client.get(`http://127.0.0.1:${otherPort}/ok`)).rejects.toBeInstanceOf(RefusedTargetError);
    // The agent alone (as vendor SDKs use it) decides by the connection's port too.
    const sdkAxios = axios.create({ httpAgent: http.httpAgent, proxy: false });
    expect(refusedTargetIn(await sdkAxios.get(`http://127.0.0.1:${otherPort}/ok`).catch((e: unknown) => e))).toBeInstanceOf(
      RefusedTargetError,
    );
    await expect(sdkAxios.get(`${vendor.url}/ok`)).resolves.toMatchObject({ status: 200 });
  });

  it('follows no redirect', async () => {
    const http = createGuardedHttp({ allowedHosts: () => ['127.0.0.1'] });
    const error = await http.client.get(`${vendor.url}/moved`).catch((e: unknown) => e);
    expect(axios.isAxiosError(error) && error.response?.status).toBe(302);
    expect(vendor.requests.map((r) => r.path)).toEqual(['/moved']);
  });

  it('refuses a name that re-resolves to loopback at connect time (DNS rebinding)', async () => {
    const answers = [[{ address: '93.184.216.34', family: 4 }], [{ address: '127.0.0.1', family: 4 }]];
    let calls = 0;
    const resolve: ResolveAll = async () => answers[Math.min(calls++, 1)];
    const http = createGuardedHttp({ allowedHosts: () => [], resolve });
    const error = await http.client.get(`http://rebind.example:${new URL(vendor.url).port}/ok`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefusedTargetError);
    expect(calls).toBe(2); // the pre-flight check, then the connection's own lookup
    expect(vendor.requests).toHaveLength(0);
  });

  it('guards the agents on their own, as vendor SDKs use them: a loopback literal never gets a socket', async () => {
    const http = createGuardedHttp({ allowedHosts: () => [] });
    const sdkAxios = axios.create({ httpAgent: http.httpAgent, httpsAgent: http.httpsAgent, proxy: false });
    const error = await sdkAxios.get(`${vendor.url}/ok`).catch((e: unknown) => e);
    expect(refusedTargetIn(error)).toBeInstanceOf(RefusedTargetError);
    expect(vendor.requests).toHaveLength(0);
    const allowed = createGuardedHttp({ allowedHosts: () => ['127.0.0.1'] });
    await expect(axios.get(`${vendor.url}/ok`, { httpAgent: allowed.httpAgent, proxy: false })).resolves.toMatchObject({ status: 200 });
  });

  it('ignores proxy variables (a proxy would see, and could redirect, every request)', async () => {
    const proxy = await startFakeVendor({ routes: {} });
    const saved = process.env.HTTP_PROXY;
    try {
      process.env.HTTP_PROXY = proxy.url;
      const http = createGuardedHttp({ allowedHosts: () => ['127.0.0.1'] });
      await expect(http.client.get(`${vendor.url}/ok`)).resolves.toMatchObject({ status: 200 });
      expect(proxy.requests).toHaveLength(0);
    } finally {
      if (saved === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved;
      await proxy.stop();
    }
  });
});
