// A bare watcher for bench/watch-cost.ts: an ordered push consumer of a bucket's unique-DNIS slot
// keys that only counts what it receives (with payloads, or headers only: argument 3 is 1). Prints
// "ready" once subscribed, and the count when it gets SIGTERM.
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

const [url, bucket, headersOnly] = process.argv.slice(2);
const nc = await connect({ servers: url, noAsyncTraces: true });
const consumer = await jetstream(nc).consumers.getPushConsumer(`KV_${bucket}`, {
  filter_subjects: `$KV.${bucket}.s.*.*.u`,
  deliver_policy: DeliverPolicy.New,
  ...(headersOnly === '1' ? { headers_only: true } : {}),
});
let received = 0;
await consumer.consume({ callback: () => void received++ });
process.on('SIGTERM', () => {
  console.log(`received ${received}`);
  process.exit(0);
});
console.log('ready');
