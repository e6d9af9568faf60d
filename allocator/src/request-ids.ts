import { randomFillSync } from 'node:crypto';

const ID_BYTES = 16;
const POOL_BYTES = 4096;

/**
 * Request ids: 128 random bits from the CSPRNG, base64url (22 characters). Entropy is drawn in 4 KiB
 * blocks, as `crypto.randomUUID` does, because one system call per id is measurable at thousands of
 * requests a second.
 */
export function createRequestIdGenerator(): () => string {
  const pool = Buffer.allocUnsafe(POOL_BYTES);
  let offset = POOL_BYTES;
  return () => {
    if (offset + ID_BYTES > POOL_BYTES) {
      randomFillSync(pool);
      offset = 0;
    }
    const id = pool.toString('base64url', offset, offset + ID_BYTES);
    offset += ID_BYTES;
    return id;
  };
}
