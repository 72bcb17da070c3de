// Prometheus remote write (protocol 1.0): a WriteRequest protobuf, snappy-framed as a block, POSTed to the
// receiver (Prometheus started with --web.enable-remote-write-receiver, Mimir, Thanos, VictoriaMetrics, the
// OTel collector's prometheusremotewrite receiver...). The message has three nested types and the block needs
// only literals, so both are written here (a few dozen lines) rather than pulling a protobuf and a snappy library.
import { request } from 'undici';
import { EnvError } from '../errors.ts';
import type { Series } from './series.ts';

class Writer {
  private chunks: Buffer[] = [];
  private len = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.len += b.length;
  }
  varint(n: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(n));
    const bytes: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      bytes.push(byte);
    } while (v > 0n);
    this.push(Buffer.from(bytes));
  }
  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  bytes(field: number, b: Buffer): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.push(b);
  }
  double(field: number, v: number): void {
    this.tag(field, 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.push(b);
  }
  int64(field: number, v: number): void {
    this.tag(field, 0);
    this.varint(v);
  }
  done(): Buffer {
    return Buffer.concat(this.chunks, this.len);
  }
}

/** prometheus.WriteRequest { repeated TimeSeries timeseries = 1; } with TimeSeries { repeated Label labels = 1;
 * repeated Sample samples = 2; }, Label { string name = 1; string value = 2; }, Sample { double value = 1; int64 timestamp = 2; } */
export function encodeWriteRequest(series: readonly Series[]): Buffer {
  const req = new Writer();
  for (const s of series) {
    const ts = new Writer();
    for (const name of Object.keys(s.labels).sort()) {
      const label = new Writer();
      label.bytes(1, Buffer.from(name));
      label.bytes(2, Buffer.from(s.labels[name]!));
      ts.bytes(1, label.done());
    }
    for (const sample of s.samples) {
      const m = new Writer();
      m.double(1, sample.v);
      m.int64(2, sample.t);
      ts.bytes(2, m.done());
    }
    req.bytes(1, ts.done());
  }
  return req.done();
}

/** A snappy block of literals only: valid for every decoder, uncompressed (the data is small). */
export function snappyBlock(data: Buffer): Buffer {
  const w = new Writer();
  w.varint(data.length);
  for (let off = 0; off < data.length; off += 65536) {
    const chunk = data.subarray(off, Math.min(off + 65536, data.length));
    const n = chunk.length - 1;
    if (n < 60) w.push(Buffer.from([n << 2]));
    else if (n < 256) w.push(Buffer.from([60 << 2, n]));
    else w.push(Buffer.from([61 << 2, n & 0xff, n >> 8]));
    w.push(chunk);
  }
  return w.done();
}

/** POSTs the series in batches; a refusal is the environment's (exit 3) with the receiver's own words. */
export async function remoteWrite(url: string, series: readonly Series[], opts: { batch?: number; headers?: Record<string, string> } = {}): Promise<{ series: number; samples: number; requests: number }> {
  const batch = opts.batch ?? 500;
  let samples = 0;
  let requests = 0;
  for (let i = 0; i < series.length; i += batch) {
    const part = series.slice(i, i + batch);
    const body = snappyBlock(encodeWriteRequest(part));
    let res;
    try {
      res = await request(url, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/x-protobuf',
          'content-encoding': 'snappy',
          'x-prometheus-remote-write-version': '0.1.0',
          'user-agent': 'lossless',
          ...opts.headers,
        },
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
    } catch (err) {
      throw new EnvError(`remote write to ${url}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; is the receiver up (Prometheus needs --web.enable-remote-write-receiver)?`);
    }
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new EnvError(`remote write to ${url}: HTTP ${res.statusCode}: ${text.trim().slice(0, 300)}`);
    requests++;
    samples += part.reduce((n, s) => n + s.samples.length, 0);
  }
  return { series: series.length, samples, requests };
}
