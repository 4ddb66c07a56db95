/**
 * One process of a gateway group, as seen from inside it: offers its metrics to the primary's
 * aggregation, tells the primary when it serves, answers its readiness questions, learns how many
 * of the group's processes are up, and stops when the primary goes away.
 */

import cluster from 'node:cluster';
import type { Registry } from 'prom-client';
import { isPrimaryMessage, type MemberMessage, type MemberReadiness } from './group-messages.js';

export interface GroupMemberOptions {
  /** This process's metrics, collected by the primary for its one endpoint. */
  registry: Registry;
  /** This process's `/ready` report. */
  readiness: () => Promise<MemberReadiness>;
}

export class GroupMember {
  private up = 0;
  private of: number;

  constructor(
    private readonly options: GroupMemberOptions,
    processes: number,
  ) {
    this.of = processes;
  }

  /** True in a process forked by a gateway group's primary. */
  static get inGroup(): boolean {
    return cluster.isWorker;
  }

  /** Starts listening to the primary (nothing is sent until `started()`); `onPrimaryGone` runs once when the IPC channel closes. */
  start(onPrimaryGone: () => void): void {
    process.on('message', (message: unknown) => {
      if (!isPrimaryMessage(message)) return;
      if (message.rm === 'group') {
        this.up = message.up;
        this.of = message.of;
        return;
      }
      const id = message.id;
      if (message.rm === 'metrics?') {
        this.options.registry.getMetricsAsJSON().then(
          (metrics) => this.send({ rm: 'metrics', id, metrics }),
          () => this.send({ rm: 'metrics', id, metrics: [] }),
        );
        return;
      }
      this.options.readiness().then(
        (report) => this.send({ rm: 'readiness', id, report }),
        () => this.send({ rm: 'readiness', id, report: { ready: false } }),
      );
    });
    process.once('disconnect', onPrimaryGone);
  }

  /** Tells the primary this process serves its ports. */
  started(): void {
    this.send({ rm: 'started' });
  }

  /** The group's processes that are up, of how many (for this process's readiness). */
  processes(): { up: number; of: number } {
    return { up: this.up, of: this.of };
  }

  private send(message: MemberMessage): void {
    if (process.connected) process.send?.(message);
  }
}
