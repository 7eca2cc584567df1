import { VERP_PREFIX, type VerpCodec } from './verp.js';

/**
 * The envelope sender (Return-Path) of outgoing mail: a VERP address naming the outbox row,
 * `bounces+<token>@<bounce domain>`, where the bounce domain is `LISTWARDEN_BOUNCE_DOMAIN` or
 * else the From domain. Mail that is not an outbox row (test sends) uses `bounces@<domain>`.
 */
export type ReturnPath = (fromAddress: string, outboxId?: number, bounceDomain?: string | null) => string;

/** `bounceDomain` given to the function (a campaign's snapshot; null: none) wins over the configured one. */
export function createReturnPath(verp: VerpCodec, configured: () => string | undefined): ReturnPath {
  return (fromAddress, outboxId, frozen) => {
    const bounceDomain = frozen === undefined ? configured() : (frozen ?? undefined);
    const domain = bounceDomain ?? fromAddress.slice(fromAddress.lastIndexOf('@') + 1);
    return outboxId === undefined ? `${VERP_PREFIX}@${domain}` : verp.address(outboxId, domain);
  };
}
