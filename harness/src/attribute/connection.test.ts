// Item 5 of issue 10: on a reused socket, the idle-socket race (stale-keepalive: closed as the request
// went out) and the in-flight cut (reset-before-response: the server held the request, then closed)
// are different mechanisms with different fixes; a window names which it saw. (The persistent-connection-cut
// cases pinned to a pod live here.)

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attribute } from './attribute.ts';
import { burst, endpoint, ev, GONE, MS, only, readyPod, rec } from '../../test/attribution.ts';

const lb = '172.18.255.200:80';

function pinnedTo(kind: 'race' | 'cut') {
  const events = [
    ...readyPod('k1', '10.244.1.8', 'w1', 0),
    ...readyPod('k2', '10.244.2.8', 'w2', 0),
    ev(40_000, 'pod-deleting', 'k1', { node: 'w1' }),
    ev(40_010, 'sigterm', 'k1'),
    endpoint(40_500, 'endpoint-not-ready', 'k1', '10.244.1.8', 'w1', GONE),
  ];
  const sock = { remoteAddr: lb, localPort: 40001, reusedConnection: true };
  const fail = kind === 'race'
    ? rec('lb', 40_020, 'stale-keepalive', { ...sock, phase: 'headers' })
    : rec('lb', 39_990, 'reset-before-response', { ...sock, phase: 'headers', endAt: 40_807 * MS });
  const records = [
    ...burst('lb', 39_000, 39_980, 'ok', { servedBy: 'k1', ...sock }, 10),
    fail,
    ...burst('lb', 39_000, 41_000, 'ok', { servedBy: 'k2', remoteAddr: lb, localPort: 40002, reusedConnection: true }, 10),
  ];
  return { events, records };
}

test('an in-flight cut on a reused socket says the pod held the request and closed: drain, not a client retry', () => {
  const { events, records } = pinnedTo('cut');
  const a = only(attribute(records, events), 'persistent-connection-cut');
  assert.match(a.evidence.text, /1 in-flight cut \(held up to 817 ms, then closed without an answer\)/);
  assert.doesNotMatch(a.evidence.text, /idle-socket race/);
  assert.match(a.fix, /finish in-flight requests before closing/);
  assert.doesNotMatch(a.fix, /retry/);
});

test('the idle-socket race says the socket was closed as the request went out: connection lifetime and retries', () => {
  const { events, records } = pinnedTo('race');
  const a = only(attribute(records, events), 'persistent-connection-cut');
  assert.deepEqual(a.pods, ['k1']);
  assert.equal(a.lost, 1);
  assert.match(a.evidence.text, /reused keep-alive connections to pod k1/);
  assert.match(a.evidence.text, /1 idle-socket race \(closed as the request went out\)/);
  assert.match(a.fix, /Connection: close/);
  assert.match(a.fix, /retry idempotent/);
});
