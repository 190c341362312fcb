import type { MonitoredContracts } from '../config.js';
import type { IndexerStatus } from '../indexer/indexer.js';
import type { MonitorStore } from '../store/monitor-store.js';
import type { OfficerDirectory } from './officer-auth.js';

/** What the route modules share: they translate HTTP to the store and back, nothing more. */
export interface RouteContext {
  store: MonitorStore;
  officers: OfficerDirectory;
  contracts: MonitoredContracts;
  /** The indexer's state for /health; absent when the server runs without one (tests, read-only). */
  indexer?: { status(): IndexerStatus };
  /** Unix seconds now (risk scores decay to it). */
  now(): number;
}
