/**
 * A small set of Call-In records in every state, made through the API: three groups (one expiring
 * after 10 s, the shortest expiry a group may have), and requests that are matched, cancelled,
 * expired and left live.
 */
import { numbers, type GroupSpec, type RecordsAllocator } from './records-allocator.ts';

export const SAMPLE_GROUPS: GroupSpec[] = [
  { name: 'claims', numbers: numbers(1, 5), expirySeconds: 600, uniqueDnis: true, accessCode: false },
  { name: 'sales', numbers: numbers(2, 3), expirySeconds: 600, uniqueDnis: false, accessCode: true },
  { name: 'callbacks', numbers: numbers(3, 3), expirySeconds: 10, uniqueDnis: true, accessCode: false },
];

export interface SampleRecord {
  id: string;
  groupName: string;
  number: string;
  ani?: string;
  state: 'live' | 'matched' | 'cancelled' | 'expired';
}

/**
 * Creates the records with `writer` (scopes request and match) and waits, reading with `reader`,
 * until the allocator reports the short-lived one expired.
 */
export async function createSampleRecords(
  allocator: RecordsAllocator,
  writer: string | undefined,
  reader: string | undefined,
): Promise<SampleRecord[]> {
  const create = async (groupName: string, ani?: string): Promise<SampleRecord> => {
    const res = await allocator.call(
      'POST',
      `/v1/groups/${groupName}/requests`,
      writer,
      ani ? { callerNumber: ani } : {},
    );
    if (res.status !== 201)
      throw new Error(`create in ${groupName}: ${res.status} ${JSON.stringify(res.body)}`);
    return { id: res.body.id, groupName, number: res.body.number, ...(ani ? { ani } : {}), state: 'live' };
  };

  const expiring = await create('callbacks', '+14155550110');
  const matched = await create('claims', '+14155550101');
  const cancelled = await create('claims', '+14155550102');
  const live = [
    await create('claims'),
    await create('sales', '+442071234567'),
    await create('sales', '+14155550103'),
    await create('sales'),
  ];

  const match = await allocator.call('POST', '/v1/match', writer, {
    dialledNumber: matched.number,
    callerNumber: matched.ani,
  });
  if (match.status !== 200) throw new Error(`match: ${match.status} ${JSON.stringify(match.body)}`);
  const cancel = await allocator.call('DELETE', `/v1/requests/${cancelled.id}`, writer);
  if (cancel.status !== 200) throw new Error(`cancel: ${cancel.status} ${JSON.stringify(cancel.body)}`);

  // The store ends the request when its TTL runs out (one-second resolution), then every replica hears.
  const deadline = Date.now() + 40_000;
  for (;;) {
    const got = await allocator.call('GET', `/v1/requests/${expiring.id}`, reader);
    if (got.body.state === 'expired') break;
    if (Date.now() > deadline)
      throw new Error(`request ${expiring.id} did not expire: ${JSON.stringify(got.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return [
    { ...expiring, state: 'expired' },
    { ...matched, state: 'matched' },
    { ...cancelled, state: 'cancelled' },
    ...live,
  ];
}
