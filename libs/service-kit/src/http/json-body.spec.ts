import { gunzipSync } from 'node:zlib';
import {
  asRequestBodyError,
  isJsonMediaType,
  parseContentType,
  parseJsonBody,
  refusedContent,
} from './json-body';

describe('JSON request bodies', () => {
  it('accept application/json and application/*+json, nothing else', () => {
    for (const type of ['application/json', 'application/merge-patch+json', 'application/vnd.fedops+json'])
      expect([type, isJsonMediaType(type)]).toEqual([type, true]);
    for (const type of [
      '',
      'text/plain',
      'text/json',
      'application/jsonx',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      'application/+json',
    ])
      expect([type, isJsonMediaType(type)]).toEqual([type, false]);
  });

  it('read the media type and charset of a Content-Type in any case, with a quoted charset', () => {
    expect(parseContentType('Application/JSON; Charset="UTF-8"')).toEqual({
      mediaType: 'application/json',
      charset: 'utf-8',
    });
    expect(parseContentType('application/json')).toEqual({ mediaType: 'application/json' });
    expect(parseContentType('')).toEqual({ mediaType: '' });
  });

  it('refuse content that is not JSON with 415 content-type.unsupported, naming the type sent', () => {
    expect(
      refusedContent({ 'content-length': '5', 'content-type': 'text/plain;charset=UTF-8' }),
    ).toMatchObject({
      status: 415,
      type: 'content-type.unsupported',
      mediaType: 'text/plain',
    });
    expect(refusedContent({ 'transfer-encoding': 'chunked' })).toMatchObject({
      status: 415,
      type: 'content-type.unsupported',
      mediaType: '',
    });
  });

  it('refuse JSON in a charset other than UTF-8 with 415 charset.unsupported', () => {
    for (const charset of ['latin1', 'utf-16', 'iso-8859-1']) {
      expect(
        refusedContent({ 'content-length': '2', 'content-type': `application/json; charset=${charset}` }),
      ).toMatchObject({ status: 415, type: 'charset.unsupported', charset });
    }
  });

  it('let through UTF-8 JSON, and requests without content whatever their Content-Type', () => {
    expect(refusedContent({ 'content-length': '2', 'content-type': 'application/json; charset=utf-8' })).toBe(
      undefined,
    );
    expect(refusedContent({ 'content-length': '2', 'content-type': 'application/problem+json' })).toBe(
      undefined,
    );
    expect(refusedContent({ 'content-length': '0', 'content-type': 'text/plain' })).toBe(undefined);
    expect(refusedContent({ 'content-type': 'text/plain' })).toBe(undefined);
  });

  it('parse any JSON value (the route says which it expects), an empty body as undefined, without a BOM', () => {
    expect(parseJsonBody(Buffer.from('[1,2]'))).toEqual([1, 2]);
    expect(parseJsonBody(Buffer.from('"acme.example"'))).toBe('acme.example');
    expect(parseJsonBody(Buffer.alloc(0))).toBe(undefined);
    expect(parseJsonBody(Buffer.from('\ufeff{"a":"é"}'))).toEqual({ a: 'é' });
  });

  it('refuse truncated JSON with 400 entity.parse.failed', () => {
    expect(() => parseJsonBody(Buffer.from('{"domain": '))).toThrow(
      expect.objectContaining({ status: 400, type: 'entity.parse.failed' }),
    );
  });

  it('refuse invalid UTF-8 with 400 entity.utf8.invalid instead of replacing it with U+FFFD', () => {
    const latin1 = Buffer.from('{"domain":"café.example"}', 'latin1');
    expect(() => parseJsonBody(latin1)).toThrow(
      expect.objectContaining({ status: 400, type: 'entity.utf8.invalid' }),
    );
  });

  it('turn a body that does not decode (gzip that is not gzip) into 400 encoding.invalid, nothing else', () => {
    let zlibError: unknown;
    try {
      gunzipSync(Buffer.from('not gzip at all'));
    } catch (err) {
      zlibError = err;
    }
    // As body-parser hands it on: zlib's error with status 400 and no type.
    expect(asRequestBodyError(Object.assign(zlibError as Error, { status: 400 }))).toMatchObject({
      status: 400,
      type: 'encoding.invalid',
      message: expect.stringMatching(/^request body does not decode: /) as unknown,
    });
    const other = new Error('boom');
    expect(asRequestBodyError(other)).toBe(other);
    const parse = (() => {
      try {
        return parseJsonBody(Buffer.from('{'));
      } catch (err) {
        return err;
      }
    })();
    expect(asRequestBodyError(parse)).toBe(parse);
  });
});
