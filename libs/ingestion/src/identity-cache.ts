/**
 * Per-process cache of identifier → profile, so a known person's next event needs no identity
 * read. Entries are added only after a commit. An identifier moves to another profile only when
 * its profile is merged away; the cache learns each merge as a redirect (loser → winner) from this
 * process' own merges, or, for merges made elsewhere, when ingestion finds a locked profile already
 * merged (it then redirects and runs the transaction again). A stale entry therefore costs at most
 * one retry and can never put an event on a merged profile: ingestion locks every profile it uses
 * and checks it is live. Bounded: past `capacity` entries the oldest are dropped.
 */
export class IdentityCache {
  private readonly owners = new Map<string, string>();
  private readonly redirects = new Map<string, string>();

  constructor(private readonly capacity = 500_000) {}

  /** The live profile last known for an identifier key, following merges. */
  owner(key: string): string | undefined {
    if (this.capacity === 0) return undefined;
    let profile = this.owners.get(key);
    for (let hops = 0; profile !== undefined && hops < 16; hops++) {
      const winner = this.redirects.get(profile);
      if (winner === undefined) return profile;
      profile = winner;
    }
    return profile === undefined ? undefined : (this.owners.delete(key), undefined);
  }

  remember(owners: Iterable<[string, string]>): void {
    if (this.capacity === 0) return;
    for (const [key, profile] of owners) this.owners.set(key, profile);
    trim(this.owners, this.capacity);
  }

  /**
   * Forgets every identifier that resolves to `profile` (deleted on request: its identities are
   * gone, so the next event of that person must look them up, find nothing, and start afresh).
   */
  forgetProfile(profile: string): void {
    for (const [key, owner] of this.owners) if (owner === profile) this.owners.delete(key);
    this.redirects.delete(profile);
  }

  /** `loser` now resolves through `winner`. */
  redirect(loser: string, winner: string): void {
    if (this.capacity === 0) return;
    this.redirects.set(loser, winner);
    trim(this.redirects, this.capacity);
  }
}

function trim(map: Map<string, string>, capacity: number): void {
  if (map.size <= capacity) return;
  let excess = map.size - Math.floor(capacity * 0.9);
  for (const key of map.keys()) {
    if (excess-- <= 0) break;
    map.delete(key);
  }
}
