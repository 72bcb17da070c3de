// The `cloud` LoadBalancer provider on the running lab (npm run test:lab, after npm run lab:up): a Service of
// class lossless.dev/cloud gets an HAProxy container on the kind network whose address the host reaches; its
// health checks go to healthCheckNodePort (Local) or kube-proxy's 10256 (Cluster); a node that loses its last
// local pod is marked down within interval × unhealthyThreshold (measured from the EndpointSlice change).
// Traffic only to the kind network's addresses on this machine; every wait bounded.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { mkdtempSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import { createLab } from "../src/lab/context.ts";
import { kubectl } from "../src/lab/cluster.ts";
import { ECHO_NAMESPACE } from "../src/lab/up.ts";
import { HAPROXY_ROOTFS, rootfsImage } from "../src/lab/rootfs.ts";
import { CloudLbController, containerName, type CloudLbEvent } from "../src/lab/cloudlb/controller.ts";
import { CLOUD_LB_CLASS, toAnnotations, type HealthCheckSettings } from "../src/lab/cloudlb/settings.ts";
import { Reflector } from "../src/observe/reflector.ts";
import { firstOk, sleep } from "./http.ts";

const lab = createLab(() => {});
const k = (args: string[], input?: string) => kubectl(lab, args, input);
const NS = "lossless-cloudlb-test";
// short checks so the test is quick; the bound below is what the settings promise
const FAST: HealthCheckSettings = { intervalMs: 500, unhealthyThreshold: 3, healthyThreshold: 1, timeoutMs: 400, drainMs: 0 };
const events: CloudLbEvent[] = [];
const stateDir = mkdtempSync(join(tmpdir(), "cloudlb-"));
let controller: CloudLbController;

function service(name: string, policy: "Local" | "Cluster") {
  return {
    apiVersion: "v1", kind: "Service", metadata: { name, namespace: NS, annotations: toAnnotations(FAST) },
    spec: { type: "LoadBalancer", loadBalancerClass: CLOUD_LB_CLASS, externalTrafficPolicy: policy, selector: { app: "echo" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
  };
}

function deployment(image: string, node: string) {
  return {
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "echo", namespace: NS },
    spec: {
      replicas: 1, selector: { matchLabels: { app: "echo" } },
      template: {
        metadata: { labels: { app: "echo" } },
        spec: {
          nodeSelector: { "kubernetes.io/hostname": node },
          containers: [{
            name: "echo", image, imagePullPolicy: "IfNotPresent",
            env: [{ name: "PORT", value: "8080" }, { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
            ports: [{ name: "http", containerPort: 8080 }],
            readinessProbe: { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 1 },
          }],
        },
      },
    },
  };
}

async function lbIP(svc: string): Promise<string> {
  for (let i = 0; i < 60; i++) {
    const ip = await k(["-n", NS, "get", "service", svc, "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"]);
    if (ip.trim()) return ip.trim();
    await sleep(1000);
  }
  throw new Error(`${svc}: no status.loadBalancer in 60 s`);
}

const downs = (svc: string, node: string) => events.filter((e) => e.service === `${NS}/${svc}` && e.kind === "lb-backend-down" && e.node === node);
let image = "";

before(async () => {
  image = await k(["-n", ECHO_NAMESPACE, "get", "deployment", "echo", "-o", "jsonpath={.spec.template.spec.containers[0].image}"]);
  await k(["delete", "namespace", NS, "--ignore-not-found", "--wait=true", "--timeout=120s"]);
  const objs = [{ apiVersion: "v1", kind: "Namespace", metadata: { name: NS } }, deployment(image, "lossless-worker"), service("lb-local", "Local"), service("lb-cluster", "Cluster")];
  await k(["apply", "-f", "-"], objs.map((o) => JSON.stringify(o)).join("\n"));
  await k(["-n", NS, "rollout", "status", "deployment/echo", "--timeout=180s"]);
  const kc = new KubeConfig();
  kc.loadFromDefault();
  kc.setCurrentContext("kind-lossless");
  controller = new CloudLbController({ kubeConfig: kc, namespace: NS, image: rootfsImage(HAPROXY_ROOTFS), stateDir, onEvent: (e) => events.push(e) });
  await controller.start();
});

after(async () => {
  await controller?.stop();
  await k(["delete", "namespace", NS, "--wait=false"]).catch(() => undefined);
});

test("a cloud LoadBalancer Service gets an address the host reaches", async () => {
  for (const svc of ["lb-local", "lb-cluster"]) {
    const ip = await lbIP(svc);
    assert.equal(controller.addresses().get(`${NS}/${svc}`), ip, `${svc}'s status names its HAProxy container`);
    const a = await firstOk(ip, 80, undefined, 30);
    assert.equal(a.status, 200);
    assert.match(a.pod ?? "", /^echo-/);
  }
});

test("health checks: healthCheckNodePort under Local, kube-proxy's 10256 under Cluster", async () => {
  const hcnp = Number(await k(["-n", NS, "get", "service", "lb-local", "-o", "jsonpath={.spec.healthCheckNodePort}"]));
  assert.ok(hcnp > 0);
  const cfg = (svc: string) => readFileSync(join(stateDir, containerName(`${NS}/${svc}`), "haproxy.cfg"), "utf8");
  assert.match(cfg("lb-local"), new RegExp(`check port ${hcnp} inter 500ms fall 3 rise 1`));
  assert.match(cfg("lb-cluster"), /check port 10256 inter 500ms fall 3 rise 1/);
  // both workers are backends, the control plane (excluded from external LBs) is not
  for (const svc of ["lb-local", "lb-cluster"]) {
    assert.match(cfg(svc), /server lossless-worker \S+/);
    assert.match(cfg(svc), /server lossless-worker2 \S+/);
    assert.doesNotMatch(cfg(svc), /server lossless-control-plane/);
  }
  // Local: the node without the pod is down; Cluster: kube-proxy answers on every node
  await sleep(3 * FAST.intervalMs);
  assert.ok(downs("lb-local", "lossless-worker2").length >= 1, "lb-local marks lossless-worker2 (no local pod) down");
  assert.equal(downs("lb-local", "lossless-worker").length, 0);
  assert.equal(downs("lb-cluster", "lossless-worker").length + downs("lb-cluster", "lossless-worker2").length, 0);
});

test("a node that loses its last local pod is marked down within interval × unhealthyThreshold", async () => {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  kc.setCurrentContext("kind-lossless");
  let goneAt = 0;
  type Slice = { metadata: { name: string }; endpoints?: Array<{ nodeName?: string; conditions?: { ready?: boolean } }> };
  const slices = new Reflector<Slice>({
    kubeConfig: kc, path: `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, labelSelector: "kubernetes.io/service-name=lb-local",
    onChange: () => {
      const onWorker = [...slices.snapshot().values()].some((s) => (s.endpoints ?? []).some((e) => e.nodeName === "lossless-worker" && e.conditions?.ready !== false));
      if (!onWorker && goneAt === 0) goneAt = Date.now();
    },
  });
  await slices.start();
  try {
    await k(["apply", "-f", "-"], JSON.stringify(deployment(image, "lossless-worker2")));
    await k(["-n", NS, "rollout", "status", "deployment/echo", "--timeout=180s"]);
    const bound = FAST.intervalMs * FAST.unhealthyThreshold;
    let down: CloudLbEvent | undefined;
    for (let i = 0; i < 100 && !down; i++) {
      down = goneAt > 0 ? downs("lb-local", "lossless-worker").find((e) => e.atMs >= goneAt - 1000) : undefined;
      if (!down) await sleep(100);
    }
    assert.ok(goneAt > 0, "the EndpointSlice lost lossless-worker's endpoint");
    assert.ok(down, "lb-local marked lossless-worker down");
    const lag = down.atMs - goneAt;
    console.log(`cloud LB: lossless-worker marked down ${lag} ms after its last endpoint left (interval ${FAST.intervalMs} ms × ${FAST.unhealthyThreshold}; reason ${down.detail.reason})`);
    // the health server's count changes when kube-proxy syncs (its iptables minSyncPeriod is 1 s): allow that
    // and one interval for where the first failing check falls (measured 1951 ms for 500 ms × 3)
    assert.ok(lag <= bound + FAST.intervalMs + 1000, `marked down ${lag} ms after, bound ${bound} ms + one interval + kube-proxy's 1 s sync`);
    assert.ok(lag >= (FAST.unhealthyThreshold - 1) * FAST.intervalMs - 200, `not before the threshold (${lag} ms)`);
    // lossless-worker2 now has the pod: it comes back up
    for (let i = 0; i < 50 && !events.some((e) => e.service === `${NS}/lb-local` && e.kind === "lb-backend-up" && e.node === "lossless-worker2"); i++) await sleep(100);
    assert.ok(events.some((e) => e.service === `${NS}/lb-local` && e.kind === "lb-backend-up" && e.node === "lossless-worker2"), "lossless-worker2 came up");
    const ip = await lbIP("lb-local");
    assert.equal((await firstOk(ip, 80, undefined, 10)).status, 200);
  } finally {
    await slices.stop();
  }
});
