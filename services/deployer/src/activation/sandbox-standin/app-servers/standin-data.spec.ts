import { createHash } from 'node:crypto';

interface FileItem {
  id: number;
  sha256: string;
  size: number;
}
interface RowItem extends FileItem {
  bodySha256: string;
  bodySize: number;
}
interface Difference {
  id: number;
  problem: string;
}
// Plain JavaScript shipped to machines; its pure helpers are exported for this test.
const data = require('./standin-data.js') as {
  itemRoute(pathname: string): { kind: 'collection' } | { kind: 'item'; id?: number } | undefined;
  listingDigest(items: FileItem[]): string;
  storeDifferences(files: FileItem[], rows: RowItem[]): Difference[];
  parseRows(stdout: string): RowItem[];
  insertScript(body: Buffer): string;
};

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
const item = (id: number, text: string): FileItem => ({ id, sha256: sha(text), size: text.length });
const row = (id: number, text: string): RowItem => ({
  ...item(id, text),
  bodySha256: sha(text),
  bodySize: text.length,
});

describe('standin-data.js', () => {
  it.each([
    ['/_fedops/standin/items', { kind: 'collection' }],
    ['/_fedops/standin/items/', { kind: 'collection' }],
    ['/_fedops/standin/items/12', { kind: 'item', id: 12 }],
    ['/_fedops/standin/items/012', { kind: 'item', id: undefined }],
    ['/_fedops/standin/items/x', { kind: 'item', id: undefined }],
    ['/_fedops/standin/items/1/2', { kind: 'item', id: undefined }],
    ['/_fedops/standin/itemsx', undefined],
    ['/health', undefined],
  ])('routes %s', (pathname, expected) => {
    expect(data.itemRoute(pathname)).toEqual(expected);
  });

  it('digests a listing as sha256 over "<id> <sha256> <size>\\n" lines in id order, whatever order it is given in', () => {
    const a = item(1, 'one');
    const b = item(2, 'two');
    const expected = sha(`1 ${a.sha256} 3\n2 ${b.sha256} 3\n`);
    expect(data.listingDigest([b, a])).toBe(expected);
    expect(data.listingDigest([])).toBe(sha(''));
  });

  it('finds no difference between files and rows holding the same bytes', () => {
    expect(data.storeDifferences([item(1, 'a'), item(3, 'c')], [row(3, 'c'), row(1, 'a')])).toEqual([]);
  });

  it('names each item missing from one store, holding other bytes, or whose row columns lie about its body', () => {
    const lying = { ...row(4, 'd'), sha256: sha('not d') };
    const differences = data.storeDifferences(
      [item(1, 'a'), item(2, 'b'), item(4, 'd')],
      [row(2, 'B'), row(3, 'c'), lying],
    );
    expect(differences.map((d) => [d.id, d.problem])).toEqual([
      [1, 'file without a row'],
      [2, 'the file and the row hold different bytes'],
      [3, 'row without a file'],
      [4, "the row's sha256 or size does not match its body"],
    ]);
  });

  it("parses psql's unaligned output with the unit and record separators", () => {
    const h = sha('x');
    expect(data.parseRows(`1\x1f${h}\x1f1\x1f${h}\x1f1\x1e2\x1fa b\x1f5\x1f${h}\x1f1\n`)).toEqual([
      { id: 1, sha256: h, size: 1, bodySha256: h, bodySize: 1 },
      { id: 2, sha256: 'a b', size: 5, bodySha256: h, bodySize: 1 },
    ]);
    expect(data.parseRows('')).toEqual([]);
    expect(() => data.parseRows('1\x1f2\n')).toThrow(/unexpected psql output/);
  });

  it('puts a body into the insert script only as base64, which no quote or backslash can end', () => {
    const body = Buffer.from(`'); DROP TABLE standin_items; -- \\ :'b64' $$`);
    const script = data.insertScript(body);
    expect(script).toContain(`\\set b64 '${body.toString('base64')}'`);
    expect(script).not.toContain('DROP TABLE');
    expect(script).toContain("decode(:'b64', 'base64')");
  });
});
