import { SseParser, type SseEvent } from './sse';

const encoder = new TextEncoder();

/** Feeds the text to a new parser split at every given offset (in bytes), then ends the stream. */
function parseInChunks(text: string, cuts: number[]): { events: SseEvent[]; parser: SseParser } {
  const bytes = encoder.encode(text);
  const parser = new SseParser();
  const events: SseEvent[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    events.push(...parser.push(bytes.slice(from, cut)));
    from = cut;
  }
  events.push(...parser.end());
  return { events, parser };
}

describe('SseParser', () => {
  const stream =
    ': connected\n\n' +
    'id: 41\nevent: operation.progress\ndata: {"steps":[1]}\n\n' +
    ': keep-alive\n\n' +
    'id: 42\nevent: operation.finished\ndata: {"status":"succeeded"}\n\n';

  it('reads events as tenant-api writes them, skipping comments', () => {
    const { events, parser } = parseInChunks(stream, []);
    expect(events).toEqual([
      { id: '41', event: 'operation.progress', data: '{"steps":[1]}' },
      { id: '42', event: 'operation.finished', data: '{"status":"succeeded"}' },
    ]);
    expect(parser.lastEventId).toBe('42');
  });

  it('gives the same events however the bytes are split into chunks', () => {
    const whole = parseInChunks(stream, []).events;
    const length = encoder.encode(stream).length;
    for (let cut = 1; cut < length; cut += 1) {
      expect(parseInChunks(stream, [cut]).events).toEqual(whole);
    }
    const everyByte = Array.from({ length: length - 1 }, (_, i) => i + 1);
    expect(parseInChunks(stream, everyByte).events).toEqual(whole);
  });

  it('keeps a UTF-8 character split between chunks whole', () => {
    const text = 'data: {"domain":"bücher.example"}\n\n';
    const at = encoder.encode('data: {"domain":"b').length + 1; // inside the two bytes of ü
    expect(parseInChunks(text, [at]).events).toEqual([
      { id: '', event: 'message', data: '{"domain":"bücher.example"}' },
    ]);
  });

  it('joins multi-line data with newlines and defaults the event type to message', () => {
    const { events } = parseInChunks('data: first\ndata:second\ndata:  third\n\n', []);
    expect(events).toEqual([{ id: '', event: 'message', data: 'first\nsecond\n third' }]);
  });

  it('accepts CRLF and CR line ends, including a CRLF split between chunks', () => {
    const text = 'id: 7\r\nevent: a\r\ndata: x\r\n\r\nevent: b\rdata: y\r\r';
    const whole = parseInChunks(text, []).events;
    expect(whole).toEqual([
      { id: '7', event: 'a', data: 'x' },
      { id: '7', event: 'b', data: 'y' },
    ]);
    // Cut right after each CR: a LF at the start of the next chunk must not end another line.
    const crs = [...text].flatMap((ch, i) => (ch === '\r' ? [i + 1] : []));
    for (const cut of crs) expect(parseInChunks(text, [cut]).events).toEqual(whole);
  });

  it('keeps the last event id across events without one (what a reconnect sends as Last-Event-ID)', () => {
    const { events, parser } = parseInChunks('id: 5\ndata: a\n\ndata: b\n\n', []);
    expect(events.map((e) => e.id)).toEqual(['5', '5']);
    expect(parser.lastEventId).toBe('5');
  });

  it('resumes from a previous connection’s last event id and takes an id even without data', () => {
    const parser = new SseParser();
    parser.lastEventId = '41';
    expect(parser.push('data: a\n\n')).toEqual([{ id: '41', event: 'message', data: 'a' }]);
    expect(parser.push('id: 43\n\n')).toEqual([]);
    expect(parser.lastEventId).toBe('43');
  });

  it('ignores an id containing NUL, unknown fields, and an event without data', () => {
    const { events, parser } = parseInChunks(
      'id: 1\n\nid: 2\u00003\nfoo: bar\nevent: lonely\n\ndata: z\n\n',
      [],
    );
    expect(parser.lastEventId).toBe('1');
    expect(events).toEqual([{ id: '1', event: 'message', data: 'z' }]);
  });

  it('reads retry as the reconnection delay only when it is digits', () => {
    const parser = new SseParser();
    parser.push('retry: 2500\n\n');
    expect(parser.retry).toBe(2500);
    parser.push('retry: soon\n\n');
    expect(parser.retry).toBe(2500);
  });

  it('discards an event the stream ended in the middle of', () => {
    const { events } = parseInChunks('data: complete\n\ndata: cut off', []);
    expect(events.map((e) => e.data)).toEqual(['complete']);
  });

  it('strips a byte order mark at the start', () => {
    const { events } = parseInChunks('\ufeffdata: x\n\n', []);
    expect(events).toEqual([{ id: '', event: 'message', data: 'x' }]);
  });
});
