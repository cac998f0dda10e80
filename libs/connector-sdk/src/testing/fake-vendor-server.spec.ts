import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { FakeVendorServer, startFakeVendor } from './fake-vendor-server';

/** Sends a raw body with the given headers (fetch cannot send a pre-gzipped body with its header). */
function rawPost(url: string, body: Buffer, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('FakeVendorServer', () => {
  let fake: FakeVendorServer;
  afterEach(async () => {
    await fake?.stop();
  });

  describe('routes and recorded requests', () => {
    beforeEach(async () => {
      fake = await startFakeVendor({
        routes: {
          'GET /v1/lists/:listId/members/:memberId': (req) => ({
            status: 200,
            body: { list: req.params.listId, member: req.params.memberId, q: req.query },
          }),
          'POST /v1/contacts': (req) => ({ status: 202, body: { received: req.body } }),
          'POST /v1/boom': () => {
            throw new Error('handler broke');
          },
        },
      });
    });

    it('passes decoded route parameters and the query string to the handler', async () => {
      const res = await fetch(`${fake.url}/v1/lists/l%201/members/m-2?expand=traits`);
      expect(res.status).toBe(200);
      await expect(res.json()).resolves.toEqual({ list: 'l 1', member: 'm-2', q: { expand: 'traits' } });
      expect(fake.requests[0]).toMatchObject({
        method: 'GET',
        path: '/v1/lists/l%201/members/m-2',
        params: { listId: 'l 1', memberId: 'm-2' },
      });
    });

    it('records JSON bodies parsed, with the raw text and headers', async () => {
      await fetch(`${fake.url}/v1/contacts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
        body: JSON.stringify({ a: [1, 2] }),
      });
      const [recorded] = fake.requestsTo('POST /v1/contacts');
      expect(recorded.body).toEqual({ a: [1, 2] });
      expect(recorded.rawBody).toBe('{"a":[1,2]}');
      expect(recorded.headers.authorization).toBe('Bearer k');
    });

    it('records form bodies, repeated keys as arrays', async () => {
      await fetch(`${fake.url}/v1/contacts`, {
        method: 'POST',
        body: new URLSearchParams([
          ['To', '+15550001'],
          ['Tag', 'a'],
          ['Tag', 'b'],
        ]),
      });
      expect(fake.requestsTo('POST /v1/contacts')[0].body).toEqual({ To: '+15550001', Tag: ['a', 'b'] });
    });

    it('gunzips gzip bodies before parsing', async () => {
      const status = await rawPost(`${fake.url}/v1/contacts`, gzipSync(JSON.stringify({ zipped: true })), {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      });
      expect(status).toBe(202);
      expect(fake.requestsTo('POST /v1/contacts')[0].body).toEqual({ zipped: true });
    });

    it('leaves an unparseable body undefined but keeps the raw text', async () => {
      await fetch(`${fake.url}/v1/contacts`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'not json' });
      expect(fake.requests[0]).toMatchObject({ body: undefined, rawBody: 'not json' });
    });

    it('answers 404 for an unknown route and 500 when a handler throws', async () => {
      expect((await fetch(`${fake.url}/v2/nothing`)).status).toBe(404);
      const res = await fetch(`${fake.url}/v1/boom`, { method: 'POST' });
      expect(res.status).toBe(500);
      await expect(res.json()).resolves.toEqual({ error: 'handler broke' });
    });

    it("answers an unknown route in the vendor's shape when given notFound", async () => {
      const vendor = await startFakeVendor({ routes: {}, notFound: (req) => ({ status: 404, body: { code: 20404, path: req.path } }) });
      try {
        const res = await fetch(`${vendor.url}/v9/missing`);
        expect(res.status).toBe(404);
        await expect(res.json()).resolves.toEqual({ code: 20404, path: '/v9/missing' });
      } finally {
        await vendor.stop();
      }
    });

    it('filters requests by route pattern', async () => {
      await fetch(`${fake.url}/v1/lists/a/members/b`);
      await fetch(`${fake.url}/v1/contacts`, { method: 'POST' });
      expect(fake.requestsTo('GET /v1/lists/:id/members/:m')).toHaveLength(1);
      expect(fake.requestsTo('POST /v1/contacts')).toHaveLength(1);
      expect(fake.requestsTo('DELETE /v1/contacts')).toHaveLength(0);
    });
  });

  describe('faults', () => {
    const ok = () => ({ status: 200, body: { ok: true } });

    it('answers 429 with Retry-After the given number of times, then the route again', async () => {
      fake = await startFakeVendor({ routes: { 'POST /send': ok, 'GET /health': ok } });
      fake.fault({ match: 'POST /send', times: 2, respond: { status: 429, headers: { 'Retry-After': '3' }, body: { error: 'rate' } } });
      const statuses: number[] = [];
      const retryAfter: (string | null)[] = [];
      for (let i = 0; i < 3; i += 1) {
        const res = await fetch(`${fake.url}/send`, { method: 'POST' });
        statuses.push(res.status);
        retryAfter.push(res.headers.get('retry-after'));
      }
      expect(statuses).toEqual([429, 429, 200]);
      expect(retryAfter).toEqual(['3', '3', null]);
      expect((await fetch(`${fake.url}/health`)).status).toBe(200);
      expect(fake.requests).toHaveLength(4);
    });

    it('matches faults by predicate', async () => {
      fake = await startFakeVendor({ routes: { 'POST /send': ok } });
      fake.fault({ match: (req) => (req.body as { to?: string })?.to === 'bad', respond: { status: 500 } });
      const post = (to: string) =>
        fetch(`${fake.url}/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to }) });
      expect((await post('bad')).status).toBe(500);
      expect((await post('good')).status).toBe(200);
    });

    it('hangs so that the client times out, and stops cleanly while hanging', async () => {
      fake = await startFakeVendor({ routes: { 'GET /slow': ok } });
      fake.fault({ hang: true, times: 1 });
      await expect(fetch(`${fake.url}/slow`, { signal: AbortSignal.timeout(200) })).rejects.toMatchObject({ name: 'TimeoutError' });
      expect((await fetch(`${fake.url}/slow`)).status).toBe(200);
    });

    it('resets the connection', async () => {
      fake = await startFakeVendor({ routes: { 'GET /r': ok } });
      fake.fault({ reset: true, times: 1 });
      await expect(fetch(`${fake.url}/r`)).rejects.toThrow('fetch failed');
      expect(fake.requests).toHaveLength(1);
    });

    it('serves probabilistic faults by the seeded random source', async () => {
      const sequence = [0.1, 0.9, 0.4, 0.6, 0.49, 0.5];
      let next = 0;
      fake = await startFakeVendor({ routes: { 'GET /p': ok }, random: () => sequence[next++ % sequence.length] });
      fake.fault({ probability: 0.5, respond: { status: 503 } });
      const statuses: number[] = [];
      for (let i = 0; i < sequence.length; i += 1) statuses.push((await fetch(`${fake.url}/p`)).status);
      expect(statuses).toEqual([503, 200, 503, 200, 503, 200]);
    });

    it('clears faults', async () => {
      fake = await startFakeVendor({ routes: { 'GET /c': ok } });
      fake.fault({ respond: { status: 500 } });
      expect((await fetch(`${fake.url}/c`)).status).toBe(500);
      fake.clearFaults();
      expect((await fetch(`${fake.url}/c`)).status).toBe(200);
    });
  });

  it('refuses to give a URL before it listens', () => {
    expect(() => new FakeVendorServer({ routes: {} }).url).toThrow(/not listening/);
  });
});
