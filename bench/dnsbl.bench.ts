// npm run bench:dnsbl — the DNSBL engine against a real rbldnsd on loopback: a full /24 against
// 8 zones (2,048 queries plus the RFC 5782 probes), then a sweep of 10,000 addresses against 8
// zones, under the concurrency limit. Prints one JSON line.
import { parseArgs } from 'node:util';
import { checkAddresses, checkIpRange } from '../src/reputation/check-ip.js';
import { DnsblClient } from '../src/reputation/dnsbl-client.js';
import { numberToIpv4, ipv4ToNumber } from '../src/reputation/ip-address.js';
import { zoneInfo } from '../src/reputation/zones.js';
import { startRbldnsd, TEST_ENTRIES } from '../test/helpers/rbldnsd.js';

const { values } = parseArgs({
  options: { concurrency: { type: 'string', default: '64' }, sweep: { type: 'string', default: '10000' } },
});
const concurrency = Number(values.concurrency);
const sweepSize = Number(values.sweep);

// Eight zones shaped like the catalogue's: scattered single listings, ranges, a level-2 style zone.
const zones = Array.from({ length: 8 }, (_, i) => ({
  zone: `z${i}.bench.bl`,
  type: 'ip4set',
  lines: [
    ...TEST_ENTRIES,
    ...Array.from({ length: 200 }, (_, k) => `10.${i}.${k % 64}.${(k * 37) % 256} :2:listed $ in zone ${i}`),
    `192.0.2.${16 * i}/28 :3:range ${i}`,
    ...(i === 7 ? ['10.0.0.0/16 :2:whole allocation'] : []),
  ],
}));

const dns = await startRbldnsd(zones);
try {
  const infos = zones.map((z) => zoneInfo(z.zone));
  const fresh = () =>
    new DnsblClient({ servers: [dns.address], timeoutMs: 2000, tries: 2, concurrency, dqsKey: undefined });

  const c24 = fresh();
  let t = performance.now();
  const range = await checkIpRange(c24, { ip: '192.0.2.77', range: 24, zones: infos });
  const rangeSeconds = (performance.now() - t) / 1000;

  const cSweep = fresh();
  const start = ipv4ToNumber('10.0.0.0');
  const addresses = Array.from({ length: sweepSize }, (_, i) => numberToIpv4(start + i));
  t = performance.now();
  const sweep = await checkAddresses(cSweep, addresses, infos);
  const sweepSeconds = (performance.now() - t) / 1000;

  console.log(
    JSON.stringify({
      bench: 'dnsbl',
      concurrency,
      range24: {
        zones: infos.length,
        queries: c24.queries,
        listed: range.listed.length,
        errors: range.errors.length,
        seconds: Number(rangeSeconds.toFixed(3)),
        peakInFlight: c24.peakInFlight,
      },
      sweep: {
        addresses: addresses.length,
        zones: infos.length,
        queries: cSweep.queries,
        listed: sweep.listed.length,
        errors: sweep.errors.length,
        seconds: Number(sweepSeconds.toFixed(2)),
        queriesPerSecond: Math.round(cSweep.queries / sweepSeconds),
        peakInFlight: cSweep.peakInFlight,
      },
      target: { range24Seconds: 1, sweepSeconds: 30 },
    }),
  );
} finally {
  await dns.stop();
}
