/** One dispatched server-sent event. */
export interface SseEvent {
  /** The `event:` field; `message` when the event had none. */
  event: string;
  /** The `data:` lines joined with newlines. */
  data: string;
  /** The last event id when this event was dispatched (what a reconnect sends as Last-Event-ID). */
  id: string;
}

/**
 * An incremental parser of a `text/event-stream` body, as the HTML standard's "event stream
 * interpretation" describes it: bytes arrive in chunks split anywhere (inside a UTF-8 sequence,
 * between CR and LF), lines end with CRLF, LF or CR, `:` lines are comments, `data:` lines
 * accumulate, a blank line dispatches. `lastEventId` survives events without an `id:` and is what
 * a reconnect sends; `retry` is the server's reconnection delay in ms, when it sent one.
 */
export class SseParser {
  lastEventId = '';
  retry: number | undefined;
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  /** The previous chunk ended with CR: a LF starting this one belongs to that line end. */
  private skipLf = false;
  private data: string[] = [];
  private eventType = '';

  /** Feeds a chunk; returns the events it completed. */
  push(chunk: Uint8Array | string): SseEvent[] {
    // The decoder strips a leading BOM and keeps an incomplete UTF-8 sequence for the next chunk.
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    return this.feed(text);
  }

  /** The stream ended: a last event without its blank line is discarded, as the standard says. */
  end(): SseEvent[] {
    const events = this.feed(this.decoder.decode());
    this.buffer = '';
    this.data = [];
    this.eventType = '';
    return events;
  }

  private feed(text: string): SseEvent[] {
    if (this.skipLf && text.startsWith('\n')) text = text.slice(1);
    if (text.length > 0) this.skipLf = false;
    this.buffer += text;
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i += 1) {
      const ch = this.buffer[i];
      if (ch !== '\n' && ch !== '\r') continue;
      const line = this.buffer.slice(start, i);
      if (ch === '\r') {
        if (i + 1 < this.buffer.length) {
          if (this.buffer[i + 1] === '\n') i += 1;
        } else {
          this.skipLf = true;
        }
      }
      start = i + 1;
      const event = this.line(line);
      if (event !== undefined) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\u0000')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        // Unknown fields are ignored.
        break;
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const data = this.data;
    const eventType = this.eventType;
    this.data = [];
    this.eventType = '';
    if (data.length === 0) return undefined;
    return { event: eventType === '' ? 'message' : eventType, data: data.join('\n'), id: this.lastEventId };
  }
}
