import type { MsgHdrs } from '@nats-io/transport-node';
import { conditionalWriteHeaders } from './kv-message.ts';

/**
 * The headers of a create-if-absent (expected last subject sequence 0) with a TTL, built and
 * encoded once per TTL.
 *
 * Why: the client builds a fresh wire encoding of a message's headers on every publish (about 1 µs
 * a create, of the 50-odd µs of CPU an allocation costs), and these headers never change.
 *
 * How: each object's `encode` is replaced by one that returns the bytes the original produced. It
 * is the method the client's publish calls to serialise headers, and it is not part of the typed
 * `MsgHdrs` interface. Checked against @nats-io/nats-core 3.4.0, where `ProtocolHandler.publish`
 * (lib/protocol.js) calls `options.headers.encode()`. Should a later client stop calling it, this
 * only stops saving work: the headers sent stay the same. The kv.create parity test
 * (test/integration/allocator/kv-create-parity.test.ts) checks both.
 *
 * The objects are shared and their encoding is frozen: hand them unchanged to `nc.publish`, never
 * to `js.publish`, which adds headers to the object it is given.
 */
export class FirstWriteHeaders {
  readonly #byTtl = new Map<number, MsgHdrs>();

  forTtl(ttlSeconds: number): MsgHdrs {
    let h = this.#byTtl.get(ttlSeconds);
    if (!h) {
      h = encodedOnce(conditionalWriteHeaders(0, ttlSeconds));
      this.#byTtl.set(ttlSeconds, h);
    }
    return h;
  }
}

function encodedOnce(h: MsgHdrs): MsgHdrs {
  const encodable = h as MsgHdrs & { encode(): Uint8Array };
  const encoded = encodable.encode();
  encodable.encode = () => encoded;
  return encodable;
}
