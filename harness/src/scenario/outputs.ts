// After a scenario run: attribute the losses, record the environment, write the report, JUnit and the
// extended summary, and judge the budgets. Separate from the run so a folder can be re-judged.

import { writeFileSync, readFileSync } from 'node:fs';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { VersionApi } from '@kubernetes/client-node';
import { attributeStream } from '../attribute/attribute.ts';
import { hopsOfTargets } from './paths.ts';
import { readLedger } from '../ledger/reader.ts';
import { writeRunOutputs, type RunOutputs } from '../report/folder.ts';
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
  const { attributions, skew } = await attributeStream(readLedger(join(run.dir, 'ledger.bin')), run.events, { clocks: run.nodeClocks ?? [], paths: hopsOfTargets(run.targets) });
  writeFileSync(join(run.dir, 'attribution.json'), JSON.stringify(attributions, null, 2) + '\n');

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
  writeFileSync(join(run.dir, 'env.json'), JSON.stringify(env, null, 2) + '\n');

  // Host CPU goes into the summary itself: on 2 cores a starved node loses requests of its own.
  const summaryPath = join(run.dir, 'summary.json');
  const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as Record<string, unknown>;
  summary.hostCpu = run.hostCpu;
  writeFileSync(summaryPath, JSON.stringify(summary, null, 2) + '\n');

  const outputs = await writeRunOutputs(run.dir, budgets ? { budgets } : {});
  return { outputs, attributions: attributions.length };
}
