import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { applyListBrand, brandData, contrast, resolveBrand, textOn } from './brand.js';
import { inspectImage } from './image.js';

describe('the brand', () => {
  it('puts text on any accent colour at a contrast of at least 4.5:1 (WCAG AA)', () => {
    for (let r = 0; r < 256; r += 51)
      for (let g = 0; g < 256; g += 51)
        for (let b = 0; b < 256; b += 51) {
          const accent = `#${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
          assert.ok(contrast(accent, textOn(accent)) >= 4.5, accent);
        }
    assert.equal(textOn('#1d4ed8'), '#ffffff');
    assert.equal(textOn('#fde047'), '#000000');
  });

  it("takes the list's fields over the shop's, and clears a list field with null or an empty value", () => {
    const shop = { name: 'Tulip Shop', accent: '#c2185b', shopUrl: 'https://shop.example/' };
    const list = applyListBrand({}, { name: 'Tulip Outlet', accent: '#0F7' });
    assert.deepEqual(list, { name: 'Tulip Outlet', accent: '#00ff77' });
    assert.deepEqual(resolveBrand(shop, list), {
      name: 'Tulip Outlet',
      logo: undefined,
      accent: '#00ff77',
      shopUrl: 'https://shop.example/',
      privacyUrl: undefined,
      address: undefined,
    });
    assert.deepEqual(applyListBrand(list, { name: null, accent: '' }), {});
    assert.equal(resolveBrand({}, {}).accent, '#1d4ed8');
  });

  it('refuses bad values with a sentence naming the field', () => {
    assert.throws(() => applyListBrand({}, { accent: 'red' }), /The accent colour must be a colour like #1d4ed8/);
    assert.throws(() => applyListBrand({}, { shopUrl: 'javascript:alert(1)' }), /The shop URL must be an http/);
    assert.throws(
      () => applyListBrand({}, { privacyUrl: 'https://user:pw@shop.example/' }),
      /without a user name or password/,
    );
    assert.throws(() => applyListBrand({}, { name: 'a\nb' }), /The brand name must be one line/);
    assert.throws(() => applyListBrand({}, { colour: '#fff' }), /no field "colour"/);
    assert.throws(() => applyListBrand({}, { logo: '../../etc/passwd' }), /The logo must name an uploaded image/);
  });

  it('sizes the logo to at most 48 pixels high and 200 wide, keeping its proportions', () => {
    const brand = resolveBrand({ logo: `${'a'.repeat(32)}.png` }, {});
    assert.deepEqual(
      [brandData(brand, 'https://mail.example', { width: 240, height: 80 })].map((b) => [b.logo_width, b.logo_height]),
      [[144, 48]],
    );
    assert.equal(brandData(brand, 'https://mail.example', { width: 1000, height: 40 }).logo_width, 200);
    assert.equal(brandData(brand, 'https://mail.example', undefined).logo_url, '', 'no image stored: no logo');
  });
});

describe('uploaded images', () => {
  const png = (width: number, height: number) => {
    const header = Buffer.alloc(33);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header);
    header.writeUInt32BE(13, 8);
    header.write('IHDR', 12, 'latin1');
    header.writeUInt32BE(width, 16);
    header.writeUInt32BE(height, 20);
    return Buffer.concat([header, deflateSync(Buffer.alloc(10))]);
  };

  it('knows PNG, GIF, JPEG and WebP by their bytes, with their size', () => {
    assert.deepEqual(inspectImage(png(240, 80)), {
      ok: true,
      image: { extension: 'png', contentType: 'image/png', width: 240, height: 80 },
    });
    const gif = Buffer.concat([Buffer.from('GIF89a', 'latin1'), Buffer.from([10, 0, 5, 0]), Buffer.alloc(8)]);
    assert.deepEqual(inspectImage(gif), {
      ok: true,
      image: { extension: 'gif', contentType: 'image/gif', width: 10, height: 5 },
    });
    // A baseline JPEG: SOI, an APP0 segment, then SOF0 with height 30 and width 40.
    const jpeg = Buffer.from([
      0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x1e, 0x00, 0x28, 0x03,
    ]);
    assert.deepEqual(inspectImage(Buffer.concat([jpeg, Buffer.alloc(16)])), {
      ok: true,
      image: { extension: 'jpg', contentType: 'image/jpeg', width: 40, height: 30 },
    });
  });

  it('refuses SVG, other files, empty and huge images with a sentence', () => {
    const svg = Buffer.from(
      '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    );
    assert.match(
      String(!inspectImage(svg).ok && (inspectImage(svg) as { reason: string }).reason),
      /SVG images are not accepted/,
    );
    const check = (bytes: Buffer) => {
      const result = inspectImage(bytes);
      return result.ok ? 'ok' : result.reason;
    };
    assert.match(check(Buffer.from('<html><script>alert(1)</script>')), /not a PNG, JPEG, GIF or WebP/);
    assert.match(check(Buffer.alloc(0)), /empty/);
    assert.match(check(Buffer.alloc(1024 * 1024 + 1)), /larger than 1 MB/);
    assert.match(check(png(0, 10)), /between 1 and 4096 pixels/);
    assert.match(check(png(5000, 10)), /between 1 and 4096 pixels/);
  });
});
