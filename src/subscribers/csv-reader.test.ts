import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CsvParser, detectDelimiter, readCsv, type CsvItem } from './csv-reader.js';

function parseAll(text: string, chunkSize = text.length || 1, max?: number): CsvItem[] {
  const parser = new CsvParser(max);
  const items: CsvItem[] = [];
  for (let i = 0; i < text.length; i += chunkSize) items.push(...parser.push(text.slice(i, i + chunkSize)));
  items.push(...parser.end());
  return items;
}

const SAMPLE = '\uFEFFemail,name\r\n"a@x.test","Ann ""The Boss"""\r\n\r\nb@x.test,"two\nlines"\nc@x.test,,\n"d@x.test"';

describe('CsvParser', () => {
  it('reads quoted fields, doubled quotes, empty fields, CRLF, blank lines and a missing final newline', () => {
    assert.deepEqual(parseAll(SAMPLE), [
      { ok: true, record: ['email', 'name'], line: 1 },
      { ok: true, record: ['a@x.test', 'Ann "The Boss"'], line: 2 },
      { ok: true, record: ['b@x.test', 'two\nlines'], line: 4 },
      { ok: true, record: ['c@x.test', '', ''], line: 6 },
      { ok: true, record: ['d@x.test'], line: 7 },
    ]);
  });

  it('gives the same result however the input is split into chunks', () => {
    const whole = parseAll(SAMPLE);
    for (let size = 1; size <= SAMPLE.length; size++)
      assert.deepEqual(parseAll(SAMPLE, size), whole, `chunk size ${size}`);
  });

  it('reports malformed rows with their line and carries on', () => {
    const text = 'email\nok1@x.test\n"spans@x.test,\nx"y@x.test\nab"c@x.test\n"a"b,c\nok2@x.test\n"never closed';
    assert.deepEqual(parseAll(text), [
      { ok: true, record: ['email'], line: 1 },
      { ok: true, record: ['ok1@x.test'], line: 2 },
      { ok: false, line: 3, reason: 'a quoted field must end at a comma or the end of the line' },
      { ok: false, line: 5, reason: 'a quote inside an unquoted field (quote the whole field and double the quote)' },
      { ok: false, line: 6, reason: 'a quoted field must end at a comma or the end of the line' },
      { ok: true, record: ['ok2@x.test'], line: 7 },
      { ok: false, line: 8, reason: 'a quoted field is never closed' },
    ]);
  });

  it('refuses over-long rows and resumes at the next line', () => {
    const text = `email\n${'y'.repeat(50)}\nz@x.test\n`;
    assert.deepEqual(parseAll(text, 7, 20), [
      { ok: true, record: ['email'], line: 1 },
      { ok: false, line: 2, reason: 'the row is longer than 20 characters' },
      { ok: true, record: ['z@x.test'], line: 3 },
    ]);
  });

  it('decodes UTF-8 split across byte chunks', async () => {
    const bytes = Buffer.from('name\nJosé Müller\n', 'utf8');
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    const items: CsvItem[] = [];
    for await (const batch of readCsv(chunks)) items.push(...batch);
    assert.deepEqual(
      items.map((i) => i.ok && i.record[0]),
      ['name', 'José Müller'],
    );
  });
});

describe('delimiters', () => {
  it('detects comma, semicolon and tab from the header line, quotes respected', () => {
    assert.equal(detectDelimiter('email,name'), 'comma');
    assert.equal(detectDelimiter('email;name;confirmed_at'), 'semicolon');
    assert.equal(detectDelimiter('email\tname'), 'tab');
    assert.equal(detectDelimiter('"a;b";"c,d";e'), 'semicolon');
    assert.equal(detectDelimiter('email'), 'comma');
  });
  it('reads a semicolon-separated file as a spreadsheet in a European locale writes it', () => {
    const parser = new CsvParser();
    const items = [...parser.push('email;name\r\nann@example.test;"Ann; Jr"\r\n'), ...parser.end()];
    assert.equal(parser.delimiter, 'semicolon');
    assert.deepEqual(
      items.map((i) => (i.ok ? i.record : i.reason)),
      [
        ['email', 'name'],
        ['ann@example.test', 'Ann; Jr'],
      ],
    );
  });
});
