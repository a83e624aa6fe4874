// The PostgreSQL wire protocol (version 3.0), the server's side: frontend messages read from the
// bytes a client sends, backend messages written. Layout from PostgreSQL's documentation,
// "Message Formats" (protocol-message-formats.html). Lengths count themselves, not the type byte.
import { StrataError } from '../core/index.js';

/** The longest message accepted (a query text, a Bind's values); a longer one drops the connection. */
export const MAX_MESSAGE = 64 * 1024 * 1024;

export const PROTOCOL_3 = 196608; // 3 << 16
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;

/** The first message of a connection: no type byte. */
export type StartupMessage =
  | { kind: 'startup'; version: number; params: Record<string, string> }
  | { kind: 'ssl' }
  | { kind: 'gssenc' }
  | { kind: 'cancel'; pid: number; secret: number }
  /** A TLS handshake record first (PostgreSQL 17's direct SSL): the bytes stay in the reader (`take`). */
  | { kind: 'tls' };

/** The first byte of a TLS handshake record: as a startup packet's length, over 369 MB. */
const TLS_HANDSHAKE = 0x16;

/** A typed frontend message (after the startup). */
export interface FrontendMessage {
  type: string;
  body: Buffer;
}

/** Accumulates bytes and cuts them into messages. */
export class MessageReader {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
  }

  /** The startup packet once it is complete (the first one; SSL and cancel requests too). */
  startup(): StartupMessage | undefined {
    if (this.buffer.length > 0 && this.buffer[0] === TLS_HANDSHAKE) return { kind: 'tls' };
    if (this.buffer.length < 4) return undefined;
    const length = this.buffer.readInt32BE(0);
    if (length < 8 || length > 10_000) throw new ProtocolViolation(`a startup packet of ${length} bytes`);
    if (this.buffer.length < 8) return undefined;
    if (this.buffer.length < length) return undefined;
    const body = this.buffer.subarray(4, length);
    this.buffer = this.buffer.subarray(length);
    const code = body.readInt32BE(0);
    if (code === SSL_REQUEST) return { kind: 'ssl' };
    if (code === GSSENC_REQUEST) return { kind: 'gssenc' };
    if (code === CANCEL_REQUEST) {
      if (body.length < 12) throw new ProtocolViolation('a short cancel request');
      return { kind: 'cancel', pid: body.readInt32BE(4), secret: body.readInt32BE(8) };
    }
    const params: Record<string, string> = {};
    const strings = body.subarray(4).toString('utf8').split('\0');
    for (let i = 0; i + 1 < strings.length && strings[i] !== ''; i += 2) params[strings[i]] = strings[i + 1];
    this.started = true;
    return { kind: 'startup', version: code, params };
  }

  /** The bytes not cut into messages yet, taken out (handed to TLS, or found where none may be). */
  take(): Buffer {
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    return rest;
  }

  /** The next typed message once it is complete. */
  next(): FrontendMessage | undefined {
    if (!this.started) throw new ProtocolViolation('a message before the startup packet');
    if (this.buffer.length < 5) return undefined;
    const length = this.buffer.readInt32BE(1);
    if (length < 4 || length > MAX_MESSAGE) throw new ProtocolViolation(`a message of ${length} bytes`);
    if (this.buffer.length < length + 1) return undefined;
    const type = String.fromCharCode(this.buffer[0]);
    const body = this.buffer.subarray(5, length + 1);
    this.buffer = this.buffer.subarray(length + 1);
    return { type, body };
  }
}

/** A client broke the protocol: the connection is dropped (the server stays up). */
export class ProtocolViolation extends StrataError {
  constructor(what: string) {
    super('USAGE', `protocol violation: ${what}`);
  }
}

/** Reads the fields of a message body in order. */
export class BodyReader {
  private at = 0;
  constructor(private readonly body: Buffer) {}

  string(): string {
    const end = this.body.indexOf(0, this.at);
    if (end < 0) throw new ProtocolViolation('a string without its terminator');
    const s = this.body.toString('utf8', this.at, end);
    this.at = end + 1;
    return s;
  }

  int16(): number {
    this.need(2);
    const v = this.body.readInt16BE(this.at);
    this.at += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.body.readInt32BE(this.at);
    this.at += 4;
    return v;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const b = this.body.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }

  rest(): Buffer {
    const b = this.body.subarray(this.at);
    this.at = this.body.length;
    return b;
  }

  private need(n: number): void {
    if (n < 0 || this.at + n > this.body.length) throw new ProtocolViolation('a message shorter than its fields');
  }
}

/** A Parse message: the statement's name, its text and the parameter types the client gave. */
export function readParse(body: BodyReader): { name: string; sql: string; types: number[] } {
  const name = body.string();
  const sql = body.string();
  const types = Array.from({ length: body.int16() }, () => body.int32());
  return { name, sql, types };
}

/** A Bind message: portal, statement, parameter values (null: SQL NULL) with their formats, result formats. */
export function readBind(body: BodyReader): {
  portal: string;
  statement: string;
  paramFormats: number[];
  values: (Buffer | null)[];
  resultFormats: number[];
} {
  const portal = body.string();
  const statement = body.string();
  const paramFormats = Array.from({ length: body.int16() }, () => body.int16());
  const values = Array.from({ length: body.int16() }, () => {
    const len = body.int32();
    return len < 0 ? null : body.bytes(len);
  });
  const resultFormats = Array.from({ length: body.int16() }, () => body.int16());
  return { portal, statement, paramFormats, values, resultFormats };
}

/** Builds one backend message. */
export class MessageWriter {
  private parts: Buffer[] = [];
  private size = 0;
  constructor(private readonly type: string) {}

  int8(v: number): this {
    return this.push(Buffer.from([v & 0xff]));
  }

  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    return this.push(b);
  }

  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    return this.push(b);
  }

  string(s: string): this {
    return this.push(Buffer.from(`${s}\0`, 'utf8'));
  }

  bytes(b: Buffer): this {
    return this.push(b);
  }

  finish(): Buffer {
    const head = Buffer.alloc(5);
    head.write(this.type, 0, 'latin1');
    head.writeInt32BE(this.size + 4, 1);
    return Buffer.concat([head, ...this.parts], this.size + 5);
  }

  private push(b: Buffer): this {
    this.parts.push(b);
    this.size += b.length;
    return this;
  }
}

// ---- backend messages ----

export const authOk = () => new MessageWriter('R').int32(0).finish();
export const authSasl = (mechanisms: string[]) => {
  const w = new MessageWriter('R').int32(10);
  for (const m of mechanisms) w.string(m);
  return w.int8(0).finish();
};
export const authSaslContinue = (data: string) =>
  new MessageWriter('R').int32(11).bytes(Buffer.from(data, 'utf8')).finish();
export const authSaslFinal = (data: string) =>
  new MessageWriter('R').int32(12).bytes(Buffer.from(data, 'utf8')).finish();
export const parameterStatus = (name: string, value: string) =>
  new MessageWriter('S').string(name).string(value).finish();
export const backendKeyData = (pid: number, secret: number) => new MessageWriter('K').int32(pid).int32(secret).finish();
/** 'I' idle, 'T' in a transaction, 'E' in a failed transaction. */
export const readyForQuery = (status: 'I' | 'T' | 'E') => new MessageWriter('Z').int8(status.charCodeAt(0)).finish();
export const commandComplete = (tag: string) => new MessageWriter('C').string(tag).finish();
export const emptyQuery = () => new MessageWriter('I').finish();
export const parseComplete = () => new MessageWriter('1').finish();
export const bindComplete = () => new MessageWriter('2').finish();
export const closeComplete = () => new MessageWriter('3').finish();
export const noData = () => new MessageWriter('n').finish();
export const portalSuspended = () => new MessageWriter('s').finish();

export const parameterDescription = (oids: number[]) => {
  const w = new MessageWriter('t').int16(oids.length);
  for (const o of oids) w.int32(o);
  return w.finish();
};

/** A column of a RowDescription. */
export interface FieldDescription {
  name: string;
  typeOid: number;
  typeLen: number;
  typeMod: number;
  format: 0 | 1;
  tableOid?: number;
  column?: number;
}

export const rowDescription = (fields: FieldDescription[]) => {
  const w = new MessageWriter('T').int16(fields.length);
  for (const f of fields)
    w.string(f.name)
      .int32(f.tableOid ?? 0)
      .int16(f.column ?? 0)
      .int32(f.typeOid)
      .int16(f.typeLen)
      .int32(f.typeMod)
      .int16(f.format);
  return w.finish();
};

/** A DataRow of encoded values (null: SQL NULL). */
export const dataRow = (values: (Buffer | null)[]) => {
  const w = new MessageWriter('D').int16(values.length);
  for (const v of values) {
    if (v === null) w.int32(-1);
    else w.int32(v.length).bytes(v);
  }
  return w.finish();
};

/** An ErrorResponse (or a NoticeResponse with type 'N'). */
export function errorResponse(
  fields: {
    severity: 'ERROR' | 'FATAL' | 'NOTICE' | 'WARNING';
    code: string;
    message: string;
    detail?: string;
    hint?: string;
    position?: number;
  },
  type: 'E' | 'N' = 'E',
): Buffer {
  const w = new MessageWriter(type)
    .int8('S'.charCodeAt(0))
    .string(fields.severity)
    .int8('V'.charCodeAt(0))
    .string(fields.severity)
    .int8('C'.charCodeAt(0))
    .string(fields.code)
    .int8('M'.charCodeAt(0))
    .string(fields.message);
  if (fields.detail) w.int8('D'.charCodeAt(0)).string(fields.detail);
  if (fields.hint) w.int8('H'.charCodeAt(0)).string(fields.hint);
  if (fields.position) w.int8('P'.charCodeAt(0)).string(String(fields.position));
  return w.int8(0).finish();
}
