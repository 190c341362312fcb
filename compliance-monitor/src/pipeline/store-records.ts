import type { PlannedAction } from '../playbooks/plan.js';
import type { ActionLog, ActionRecord, CaseOpener } from '../playbooks/executor.js';
import type { MonitorStore } from '../store/monitor-store.js';

/**
 * The executor's two collaborators, kept in the monitor's store.
 *
 * {@link StoreActionLog}: one `monitor_state` row per action key (`action:<key>`), written outside
 * any batch transaction the moment the executor puts it — in particular right after a transaction
 * is sent and before it is mined — so a process killed with SIGKILL finds on restart what it sent,
 * has the receipts checked, and never freezes twice.
 *
 * {@link StoreCaseOpener}: the case an action belongs to. The pipeline opens or joins the case in the
 * batch transaction that planned the action (so every action has one, executed or not); `open`
 * answers that case, and only for an action it was not told about opens or joins one itself.
 */
export const ACTION_STATE_PREFIX = 'action:';

export class StoreActionLog implements ActionLog {
  constructor(
    private readonly store: MonitorStore,
    /** The block recorded with each row: the planning batch's last block (a rewind looks above the fork for actions of withdrawn hits). */
    private readonly blockNumber: () => number = () => 0,
  ) {}

  async get(key: string): Promise<ActionRecord | undefined> {
    const row = await this.store.loadState<ActionRecord>(ACTION_STATE_PREFIX + key);
    return row?.value;
  }

  async put(record: ActionRecord): Promise<void> {
    await this.store.saveState(ACTION_STATE_PREFIX + record.key, record, this.blockNumber());
  }
}

export class StoreCaseOpener implements CaseOpener {
  /** Action key → the case the batch transaction assigned it. */
  readonly assigned = new Map<string, string>();

  constructor(private readonly store: MonitorStore) {}

  async open(action: PlannedAction): Promise<string> {
    const known = this.assigned.get(action.key);
    if (known) return known;
    return this.store.transaction(async (tx) => {
      const existing = await tx.openCaseFor(action.subject);
      if (existing) return existing;
      return tx.openCase({ token: action.token, subject: action.subject, at: action.hit.at, actor: 'monitor', reason: `opened by the monitor: ${action.hit.summary}` });
    });
  }
}
