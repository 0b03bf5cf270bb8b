import { utf8Decode } from '../io/utf8.js';
import { onnxFail } from './errors.js';

/**
 * A reader of the protobuf wire format (protobuf.dev/programming-guides/encoding): a message is a
 * sequence of (tag, value) pairs, tag = field number << 3 | wire type; wire types 0 (varint),
 * 1 (8 bytes), 2 (a varint length, then that many bytes: strings, bytes, nested messages and
 * packed repeated scalars) and 5 (4 bytes). Every read is bounds-checked against the end of the
 * enclosing message, so truncated, garbage or oversized input fails with one line naming the byte
 * offset and the field, never with an out-of-range read.
 */
export class ProtoReader {
  private readonly view: DataView;
  pos: number;

  /** `where` names the message being read (`ModelProto.graph`) for error messages. */
  constructor(
    readonly bytes: Uint8Array,
    readonly where: string,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Fails naming the byte offset and the message (and field) being read. */
  error(message: string, at = this.pos, field?: string): never {
    onnxFail(`byte ${at}: ${field ?? this.where}: ${message}`);
  }

  /** The next field's number and wire type. */
  tag(): { field: number; wire: number; at: number } {
    const at = this.pos;
    const t = this.varint();
    const field = Math.floor(t / 8);
    const wire = t % 8;
    if (field < 1 || t < 0) this.error(`invalid field number ${field} (not a protobuf message: garbage or a different file type)`, at);
    if (wire === 3 || wire === 4 || wire === 6 || wire === 7) this.error(`field ${field} has wire type ${wire}, which ONNX never uses (garbage or a different file type)`, at);
    return { field, wire, at };
  }

  /** A varint as a signed 64-bit integer (exact up to 2^53, as ONNX's int64 fields hold in practice). */
  varint(): number {
    let lo = 0;
    let hi = 0;
    const start = this.pos;
    for (let i = 0; ; i++) {
      if (this.pos >= this.end) this.error(`varint runs past the end of the message (truncated)`, start);
      if (i === 10) this.error('varint longer than 10 bytes', start);
      const b = this.bytes[this.pos++]!;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x70) >> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if ((b & 0x80) === 0) break;
    }
    lo >>>= 0;
    hi >>>= 0;
    // Two's complement: negative values (e.g. Slice ends of -1, INT64_MIN) take all 10 bytes.
    if (hi >= 0x80000000) return -((~hi >>> 0) * 4294967296 + (~lo >>> 0) + 1);
    return hi * 4294967296 + lo;
  }

  private need(n: number, what: string, at = this.pos): void {
    if (n > this.end - this.pos) this.error(`${what} needs ${n} bytes but only ${this.end - this.pos} remain (truncated or oversized)`, at);
  }

  float32(): number {
    this.need(4, 'a 4-byte value');
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  float64(): number {
    this.need(8, 'an 8-byte value');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** The bytes of a length-delimited field (a view, not a copy). */
  bytesField(field: string): Uint8Array {
    const at = this.pos;
    const n = this.varint();
    if (n < 0) this.error(`negative length ${n}`, at, field);
    if (n > this.end - this.pos) this.error(`declares ${n} bytes but only ${this.end - this.pos} remain (truncated or oversized)`, at, field);
    const b = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  string(field: string): string {
    const at = this.pos;
    const s = utf8Decode(this.bytesField(field));
    if (s === null) this.error('is not valid UTF-8', at, field);
    return s;
  }

  /** A reader for a nested message (wire type 2) that ends where the field ends. */
  message(field: string): ProtoReader {
    const at = this.pos;
    const n = this.varint();
    if (n < 0 || n > this.end - this.pos) this.error(`declares ${n} bytes but only ${this.end - this.pos} remain (truncated or oversized)`, at, field);
    const r = new ProtoReader(this.bytes, field, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  /** Skips a field this reader does not use. */
  skip(wire: number, field: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.skipBytes(8);
    else if (wire === 5) this.skipBytes(4);
    else if (wire === 2) this.bytesField(`${this.where} field ${field}`);
  }

  private skipBytes(n: number): void {
    this.need(n, 'a fixed-size value');
    this.pos += n;
  }

  /**
   * A repeated scalar field's values, packed (wire type 2, the proto3 default) or one per tag;
   * `read` reads one element.
   */
  repeated(wire: number, elementWire: number, field: string, read: (r: ProtoReader) => number, into: number[]): void {
    if (wire === 2) {
      const r = this.message(field);
      while (!r.done) into.push(read(r));
    } else if (wire === elementWire) {
      into.push(read(this));
    } else {
      this.error(`has wire type ${wire}, expected ${elementWire} or 2 (packed)`, this.pos, field);
    }
  }

  /** Checks that a field has the wire type its schema gives. */
  expectWire(wire: number, expected: number, field: string, at: number): void {
    if (wire !== expected) this.error(`has wire type ${wire}, expected ${expected}`, at, field);
  }
}
