/**
 * The envelope sender (Return-Path) for a list's mail: `bounces@<bounce domain>` when a bounce
 * domain is configured, else the list's From address.
 */
export function envelopeSender(fromAddress: string, bounceDomain: string | undefined): string {
  return bounceDomain ? `bounces@${bounceDomain}` : fromAddress;
}
