import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { LeadloopError } from '../../core/index.ts';

/**
 * Where a workflow may send requests. Private, loopback, link-local, carrier-grade NAT, multicast
 * and reserved addresses are refused unless the workspace allow-lists them: a workflow author must
 * not be able to reach the host's own services (metadata endpoints, the database, Redis) through
 * an HTTP step. The check runs on the resolved addresses, and the connection is made to the address
 * that was checked, so a DNS answer that changes between check and connect (rebinding) cannot slip in.
 */
export interface EgressPolicy {
  /**
   * Hosts or addresses that may be private: `127.0.0.1`, `::1`, `10.0.0.0/8`, `crm.internal`,
   * `*.corp.example`. Public addresses never need an entry.
   */
  allow: readonly string[];
}

const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['64:ff9b::', 96],
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv6');

function family(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 6 ? 'ipv6' : 'ipv4';
}

/** IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is checked as the IPv4 address it carries. */
function unmapped(address: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match?.[1] ?? address;
}

export function isPrivateAddress(address: string): boolean {
  const plain = unmapped(address);
  return BLOCKED.check(plain, family(plain));
}

function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p.startsWith('*.')) return h.endsWith(p.slice(1));
  return p === h;
}

function addressAllowed(pattern: string, address: string): boolean {
  const plain = unmapped(address);
  const slash = pattern.indexOf('/');
  if (slash > 0) {
    const net = pattern.slice(0, slash);
    const prefix = Number(pattern.slice(slash + 1));
    if (!isIP(net) || !Number.isInteger(prefix)) return false;
    if (family(net) !== family(plain)) return false;
    const list = new BlockList();
    list.addSubnet(net, prefix, family(net));
    return list.check(plain, family(plain));
  }
  return isIP(pattern) !== 0 && unmapped(pattern) === plain;
}

/** Null when `host` resolved to `address` may be contacted; otherwise the reason. */
export function egressRefusal(policy: EgressPolicy, host: string, address: string): string | null {
  if (!isPrivateAddress(address)) return null;
  if (policy.allow.some((entry) => hostMatches(entry, host) || addressAllowed(entry, address))) return null;
  return `${host} resolves to ${address}, a private, loopback or link-local address; add it to the workspace's egress allow-list to reach it`;
}

export type LookupFunction = (
  hostname: string,
  options: { all: true },
  callback: (error: NodeJS.ErrnoException | null, addresses: { address: string; family: number }[]) => void,
) => void;

export class EgressRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EgressRefused';
  }
}

/**
 * A `lookup` for `http.request` that resolves, refuses disallowed answers, and hands the socket only
 * the checked addresses (the pin). Node calls it with or without `all`; both shapes are answered.
 */
export function guardedLookup(policy: EgressPolicy, resolve: LookupFunction = dnsLookup as LookupFunction) {
  return (
    hostname: string,
    options: { all?: boolean; family?: number },
    callback: (
      error: Error | null,
      address: string | { address: string; family: number }[],
      family?: number,
    ) => void,
  ): void => {
    resolve(hostname, { all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const wanted = options.family ? addresses.filter((a) => a.family === options.family) : addresses;
      if (wanted.length === 0)
        return callback(
          new LeadloopError('unavailable', `${hostname} has no address`, { retryable: true }),
          '',
          0,
        );
      for (const { address } of wanted) {
        const refusal = egressRefusal(policy, hostname, address);
        if (refusal) return callback(new EgressRefused(refusal), '', 0);
      }
      if (options.all) return callback(null, wanted);
      const first = wanted[0] as { address: string; family: number };
      callback(null, first.address, first.family);
    });
  };
}
