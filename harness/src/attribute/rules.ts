// The causes, one rule each (causes/<cause>.ts). The order of the rollout rules is their specificity when
// a failure names its pod (a kill inside a stop: the kill); a failure naming none is decided by evidence
// (attribute.ts's choose()), never by this order. Every Cause has exactly one rule (rules.test.ts).

import type { Cause } from '../record.ts';
import type { Rule } from './rule.ts';
import { ambiguous } from './causes/ambiguous.ts';
import { baseline } from './causes/baseline.ts';
import { brokenRelease } from './causes/broken-release.ts';
import { consumerCacheStale } from './causes/consumer-cache-stale.ts';
import { ingressUpstreamStale } from './causes/ingress-upstream-stale.ts';
import { lbConnectionCut } from './causes/lb-connection-cut.ts';
import { lbHealthCheckLag } from './causes/lb-health-check-lag.ts';
import { lbNoLocalEndpoint } from './causes/lb-no-local-endpoint.ts';
import { noReadyEndpoints } from './causes/no-ready-endpoints.ts';
import { persistentConnectionCut } from './causes/persistent-connection-cut.ts';
import { registryProviderInitialising } from './causes/registry-provider-initialising.ts';
import { registryStaleAfterSigterm } from './causes/registry-stale-after-sigterm.ts';
import { routedAfterSigterm } from './causes/routed-after-sigterm.ts';
import { routedBeforeReady } from './causes/routed-before-ready.ts';
import { sigkillInFlight } from './causes/sigkill-in-flight.ts';
import { unexplained } from './causes/unexplained.ts';

/** Most specific first. */
export const RULES: readonly Rule[] = [
  registryProviderInitialising,
  registryStaleAfterSigterm,
  consumerCacheStale,
  sigkillInFlight,
  lbConnectionCut,
  persistentConnectionCut,
  noReadyEndpoints,
  ingressUpstreamStale,
  lbHealthCheckLag,
  lbNoLocalEndpoint,
  routedAfterSigterm,
  routedBeforeReady,
  brokenRelease,
  baseline,
  ambiguous,
  unexplained,
];

const BY_CAUSE = new Map<Cause, Rule>(RULES.map((r) => [r.cause, r]));
const RANK = new Map<Cause, number>(RULES.map((r, i) => [r.cause, i]));

/** The rule of a cause (unexplained's for a cause without one: none, rules.test.ts). */
export function ruleOf(cause: Cause): Rule {
  return BY_CAUSE.get(cause) ?? unexplained;
}

/** A cause's place in the list: lower is more specific. */
export function rankOf(cause: Cause): number {
  return RANK.get(cause) ?? RULES.length;
}

export const ROLLOUT_RULES = RULES.filter((r) => r.stage === 'rollout');
export const RELEASE_RULES = RULES.filter((r) => r.stage === 'release');
