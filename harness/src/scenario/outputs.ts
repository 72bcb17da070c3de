// After a scenario run: attribute the losses, record the environment, write the report, JUnit and
// report.json, and judge the budgets. Separate from the run so a folder can be re-judged.

import { readFileSync } from 'node:fs';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { VersionApi } from '@kubernetes/client-node';
import { RecordDigest, attributeDigest } from '../attribute/attribute.ts';
import { hopsOfTargets } from './paths.ts';
import { readRun, writeOutputs, type RunOutputs } from '../report/folder.ts';
import type { Budgets } from '../budgets.ts';
import type { ScenarioRun } from './run.ts';
import { connect } from './kube.ts';

export interface FinishedRun {
  outputs: RunOutputs;
  attributions: number;
}

async function serverVersion(cluster: string): Promise<string | undefined> {
  try {
    const k = connect(cluster);
    const v = await k.kc.makeApiClient(VersionApi).getCode();
    return v.gitVersion;
  } catch {
    return undefined;
  }
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export async function finishRun(run: ScenarioRun, budgets?: Budgets): Promise<FinishedRun> {
  // One pass over the ledger feeds both the report's reducer and attribution's digest.
  const digest = new RecordDigest();
  const data = await readRun(run.folder, budgets, [digest]);
  const { attributions, skew } = attributeDigest(digest, data.input.events, { clocks: run.nodeClocks ?? [], paths: hopsOfTargets(run.targets) });
  run.folder.write('attribution', attributions);
  data.input.attributions = attributions;

  const env = {
    lossless: packageVersion(),
    node: process.version,
    os: `${platform()} ${release()} ${arch()}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    cluster: run.scenario.cluster,
    kubernetes: (await serverVersion(run.scenario.cluster)) ?? 'unreachable',
    hostCpu: { meanPct: run.hostCpu.meanPct, maxPct: run.hostCpu.maxPct, saturatedSeconds: run.hostCpu.saturatedSeconds },
    paths: Object.fromEntries([...run.targets.host.map((t) => [t.path, t.url]), ...(run.targets.inCluster ? [[run.targets.inCluster.path, `${run.targets.inCluster.url} (in cluster)`]] : [])]),
    inClusterLoader: run.inCluster ?? null,
    // measured per node at run start (±rttMs/2), and what attribution applied of it
    nodeClocks: run.nodeClocks ?? [],
    clockSkew: skew,
    interrupted: run.interrupted,
    error: run.error?.message ?? null,
    warnings: run.warnings,
  };
  run.folder.write('env', env);
  data.input.env = env;
  const outputs = writeOutputs(data);
  return { outputs, attributions: attributions.length };
}
