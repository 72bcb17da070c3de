// The pod lines diagnostics.txt holds when a run stops early: what a user needs to see why a rollout hung.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { describePod } from './diagnose.ts';

test('a pod line names phase, readiness and each container state with restarts and the last exit', () => {
  const crashing: V1Pod = {
    metadata: { name: 'consumer-7d9f-abcde' },
    spec: { nodeName: 'lossless-worker', containers: [{ name: 'consumer' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'False', message: 'containers with unready status: [consumer]' }],
      containerStatuses: [{ name: 'consumer', ready: false, restartCount: 4, image: 'x', imageID: 'x', state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 3, reason: 'Error' } } }],
    },
  };
  assert.equal(describePod(crashing), 'consumer-7d9f-abcde on lossless-worker: Running, Ready=False (containers with unready status: [consumer]); consumer: waiting CrashLoopBackOff, ready false, restarts 4, last exit 3 (Error)');
  const pending: V1Pod = { metadata: { name: 'p' }, spec: { containers: [] }, status: { phase: 'Pending' } };
  assert.equal(describePod(pending), 'p on (unscheduled): Pending, Ready=?; no container status');
});
