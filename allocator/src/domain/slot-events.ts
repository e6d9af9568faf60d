/** A slot key and its value, as the coordination store's watch delivers it. */
export interface SlotEntry {
  key: string;
  value: Uint8Array;
  revision: number;
}

/**
 * A change to the slot keys, as the coordination store's watch delivers it (the store's `StoreEvent`
 * is this type): a snapshot of the live entries first and after each reconnection, then each write.
 */
export type SlotEvent =
  | { type: 'snapshot'; entries: SlotEntry[] }
  | { type: 'put'; key: string; value: Uint8Array; revision: number }
  /** A compare-and-set removal; `reason` is the encoded RemovalReason the remover wrote. */
  | { type: 'removed'; key: string; revision: number; reason: Uint8Array }
  /** The store removed the key when its TTL ran out. */
  | { type: 'expired'; key: string; revision: number };

/** A change of one slot key (anything but a snapshot). */
export type SlotChange = Exclude<SlotEvent, { type: 'snapshot' }>;

/** A change as the store's records keep it: dated by the store when it recorded it (ms). */
export type RecordedSlotChange = SlotChange & { atMs: number };
