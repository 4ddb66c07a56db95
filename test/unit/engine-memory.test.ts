// The engine contract against the in-memory broker and presence manager.
import { describe } from 'node:test';
import { MemoryBroker, MemoryPresenceManager } from '../../src/engine/index.js';
import { engineContract } from '../helpers/engine-contract.js';

void describe('memory engine', () => {
  engineContract(() => ({
    sharedBackend: false,
    newBroker: () => new MemoryBroker(),
    newPresenceManager: () => new MemoryPresenceManager(),
    cleanup: async () => {},
  }));
});
