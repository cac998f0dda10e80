import { assertAllowedTarget, hostAllowed, isPrivateAddress, literalTargetProblem, RefusedTargetError, ResolveAll } from './ssrf-guard';

// Decisions only: no test here opens a connection (a scripted resolver answers every host name).

describe('isPrivateAddress', () => {
  it.each([
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.1', 'loopback'],
    ['169.254.169.254', 'link-local, cloud metadata'],
    ['0.0.0.0', '"this" network'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['224.0.0.1', 'multicast'],
    ['198.18.0.1', 'benchmarking 198.18.0.0/15'],
    ['198.19.255.255', 'benchmarking 198.18.0.0/15'],
    ['192.0.0.1', 'IETF protocol assignments 192.0.0.0/24'],
    ['192.0.0.170', 'IETF protocol assignments 192.0.0.0/24 (NAT64 discovery)'],
    ['::1', 'IPv6 loopback'],
    ['::', 'IPv6 unspecified'],
    ['fc00::1', 'unique local'],
    ['fd12:3456::1', 'unique local'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'site-local fec0::/10'],
    ['feff:ffff::1', 'site-local fec0::/10'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback (hex)'],
    ['::ffff:169.254.1.1', 'IPv4-mapped link-local'],
    ['::ffff:198.18.0.1', 'IPv4-mapped benchmarking'],
    ['64:ff9b::7f00:1', 'NAT64 of 127.0.0.1'],
    ['64:ff9b::169.254.169.254', 'NAT64 of the metadata address'],
    ['64:ff9b::a00:1', 'NAT64 of 10.0.0.1'],
    ['2002:7f00:1::', '6to4 of 127.0.0.1'],
    ['2002:a9fe:a9fe::1', '6to4 of 169.254.169.254'],
    ['2002:c0a8:101:1::1', '6to4 of 192.168.1.1'],
    ['::127.0.0.1', 'IPv4-compatible loopback'],
    ['::8.8.8.8', 'IPv4-compatible (deprecated, refused whole)'],
    ['::a00:1', 'IPv4-compatible 10.0.0.1 in hex'],
    ['::ffff:0:7f00:1', 'IPv4-translated 127.0.0.1 (::ffff:0:0:0/96)'],
    ['::ffff:0:10.0.0.1', 'IPv4-translated 10.0.0.1'],
    ['::ffff:0:a9fe:a9fe', 'IPv4-translated 169.254.169.254'],
    ['64:ff9b:1::a00:1', 'local-use NAT64 64:ff9b:1::/48 (refused whole)'],
    ['64:ff9b:1::808:808', 'local-use NAT64 embedding a public address (refused whole)'],
    ['64:ff9b:1:ffff:ffff:ffff:ffff:ffff', 'last address of 64:ff9b:1::/48'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo 2001::/32 (refused whole)'],
    ['2001::1', 'Teredo 2001::/32'],
    ['2001:0:ffff:ffff:ffff:ffff:ffff:ffff', 'last address of Teredo 2001::/32'],
  ])('refuses %s (%s)', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each([
    ['8.8.8.8', 'public'],
    ['172.15.255.255', 'just below 172.16/12'],
    ['172.32.0.1', 'just above 172.16/12'],
    ['100.63.255.255', 'just below 100.64/10'],
    ['100.128.0.1', 'just above 100.64/10'],
    ['192.169.0.1', 'just above 192.168/16'],
    ['169.255.0.1', 'just above 169.254/16'],
    ['198.17.255.255', 'just below 198.18/15'],
    ['198.20.0.1', 'just above 198.18/15'],
    ['192.0.1.1', 'just above 192.0.0/24'],
    ['2606:4700::1111', 'public IPv6'],
    ['::ffff:8.8.8.8', 'IPv4-mapped public'],
    ['64:ff9b::808:808', 'NAT64 of 8.8.8.8'],
    ['2002:808:808::1', '6to4 of 8.8.8.8'],
    ['fbff::1', 'just below fc00::/7'],
    ['::ffff:0:808:808', 'IPv4-translated 8.8.8.8'],
    ['64:ff9b:2::1', 'just above 64:ff9b:1::/48'],
    ['64:ff9b:0:ffff::1', 'just below 64:ff9b:1::/48 (outside the NAT64 /96 too)'],
    ['2001:1::1:0:0:1', 'just above Teredo 2001::/32'],
    ['2001:4860:4860::8888', 'public IPv6 in 2001::/16'],
  ])('allows %s (%s)', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });
});

describe('assertAllowedTarget (decision only, scripted resolver)', () => {
  const answers =
    (...addresses: string[]): ResolveAll =>
    async () =>
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  const none = () => [];

  it.each([
    'http://[64:ff9b::7f00:1]/x',
    'http://[2002:a9fe:a9fe::1]/latest',
    'http://[::127.0.0.1]/',
    'http://[fec0::1]/',
    'http://198.18.0.1/',
    'http://192.0.0.8/',
    'http://[::ffff:0:7f00:1]/',
    'http://[64:ff9b:1::a00:1]/',
    'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/',
  ])('refuses the literal %s', async (url) => {
    await expect(assertAllowedTarget(new URL(url), none, answers())).rejects.toBeInstanceOf(RefusedTargetError);
  });

  it('refuses a host name that resolves to a NAT64 address embedding loopback', async () => {
    await expect(assertAllowedTarget(new URL('https://nat64.example/x'), none, answers('64:ff9b::7f00:1'))).rejects.toThrow(
      /nat64.example resolves to the private address 64:ff9b::7f00:1/,
    );
  });

  it('allows a host name whose addresses are all public', async () => {
    await expect(
      assertAllowedTarget(new URL('https://public.example/x'), none, answers('93.184.216.34', '2606:4700::1111')),
    ).resolves.toBeUndefined();
  });
});

describe('allow-list entries with a port', () => {
  it('match only that port; an entry without a port matches every port', () => {
    expect(hostAllowed(['127.0.0.1:4010'], '127.0.0.1', 4010)).toBe(true);
    expect(hostAllowed(['127.0.0.1:4010'], '127.0.0.1', 5432)).toBe(false);
    expect(hostAllowed(['127.0.0.1'], '127.0.0.1', 5432)).toBe(true);
    expect(hostAllowed(['[::1]:4010'], '::1', 4010)).toBe(true);
    expect(hostAllowed(['[::1]:4010'], '::1', 4011)).toBe(false);
    expect(hostAllowed(['::1'], '::1', 4011)).toBe(true);
    expect(hostAllowed(['localhost:80'], 'localhost', 80)).toBe(true);
    // A DNS lookup knows no port: the URL's port was decided before it.
    expect(hostAllowed(['internal.example:8443'], 'internal.example')).toBe(true);
  });

  it('decide literal targets by the URL port (the scheme default when none is written)', () => {
    const entries = () => ['127.0.0.1:4010', '10.0.0.5:443'];
    expect(literalTargetProblem(new URL('http://127.0.0.1:4010/hook'), entries)).toBeUndefined();
    expect(literalTargetProblem(new URL('http://127.0.0.1:5432/'), entries)).toMatch(/private, loopback or reserved/);
    expect(literalTargetProblem(new URL('https://10.0.0.5/'), entries)).toBeUndefined();
    expect(literalTargetProblem(new URL('http://10.0.0.5/'), entries)).toMatch(/10.0.0.5/);
  });
});
