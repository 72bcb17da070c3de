// The lab end to end (run by `npm run test:lab` after `npm run lab:up`; never by `npm test`): nodes, DNS,
// storage, the echo through every path the scenarios use, and a rollout. Traffic goes only to 127.0.0.1 and
// to the kind network's addresses on this machine; every retry loop is bounded in count.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createLab } from "../src/lab/context.ts";
import { kubectl } from "../src/lab/cluster.ts";
import { firstOk, sleep } from "./http.ts";
import { ECHO_NAMESPACE } from "../src/lab/up.ts";

const lab = createLab(() => {});
const k = (args: string[], input?: string) => kubectl(lab, args, input);
const HOST = "echo.lab.lossless.test";
const NS = ECHO_NAMESPACE;

async function echoPods(): Promise<string[]> {
  const out = await k(["-n", NS, "get", "pods", "-l", "app=echo", "--field-selector=status.phase=Running", "-o", "jsonpath={.items[*].metadata.name}"]);
  return out.split(/\s+/).filter(Boolean);
}

async function echoImage(): Promise<string> {
  return k(["-n", NS, "get", "deployment", "echo", "-o", "jsonpath={.spec.template.spec.containers[0].image}"]);
}

/** Runs a one-off pod with the echo image (it has the Debian userland and node) and returns its log. */
async function runPod(name: string, command: string[], extra: { volumes?: object[]; volumeMounts?: object[] } = {}): Promise<string> {
  await k(["-n", NS, "delete", "pod", name, "--ignore-not-found", "--wait=true"]);
  const pod = {
    apiVersion: "v1", kind: "Pod", metadata: { name, namespace: NS },
    spec: {
      restartPolicy: "Never",
      containers: [{ name, image: await echoImage(), imagePullPolicy: "IfNotPresent", command, volumeMounts: extra.volumeMounts ?? [] }],
      volumes: extra.volumes ?? [],
    },
  };
  await k(["apply", "-f", "-"], JSON.stringify(pod));
  await k(["-n", NS, "wait", `pod/${name}`, "--for=jsonpath={.status.phase}=Succeeded", "--timeout=180s"]);
  const log = await k(["-n", NS, "logs", name]);
  await k(["-n", NS, "delete", "pod", name, "--wait=false"]);
  return log;
}

test("three nodes, all Ready", async () => {
  const nodes = JSON.parse(await k(["get", "nodes", "-o", "json"])) as { items: Array<{ metadata: { name: string }; status: { conditions: Array<{ type: string; status: string }> } }> };
  assert.equal(nodes.items.length, 3, nodes.items.map((n) => n.metadata.name).join(","));
  for (const n of nodes.items) {
    assert.equal(n.status.conditions.find((c) => c.type === "Ready")?.status, "True", `${n.metadata.name} not Ready`);
  }
});

test("CoreDNS answers: a pod resolves kubernetes.default", async () => {
  const out = await runPod("lab-dns", ["getent", "hosts", "kubernetes.default"]);
  const svcIp = await k(["get", "svc", "kubernetes", "-n", "default", "-o", "jsonpath={.spec.clusterIP}"]);
  assert.match(out, new RegExp(`^${svcIp.replaceAll(".", "\\.")}\\s`, "m"));
});

test("a PVC binds (local-path) and a pod writes to it", async () => {
  await k(["-n", NS, "delete", "pvc", "lab-pvc", "--ignore-not-found", "--wait=false"]);
  const pvc = { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "lab-pvc", namespace: NS },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "16Mi" } } } };
  await k(["apply", "-f", "-"], JSON.stringify(pvc));
  const out = await runPod("lab-pvc-writer", ["sh", "-c", "echo stored > /data/f && cat /data/f"], {
    volumes: [{ name: "d", persistentVolumeClaim: { claimName: "lab-pvc" } }],
    volumeMounts: [{ name: "d", mountPath: "/data" }],
  }).catch(async (err: unknown) => {
    throw new Error(`${String(err)}; pvc: ${await k(["-n", NS, "describe", "pvc", "lab-pvc"]).catch(() => "")}`);
  });
  assert.equal(out.trim(), "stored");
  assert.equal(await k(["-n", NS, "get", "pvc", "lab-pvc", "-o", "jsonpath={.status.phase}"]), "Bound");
  await k(["-n", NS, "delete", "pvc", "lab-pvc", "--wait=false"]);
});

test("the echo Deployment is Ready with 3 replicas", async () => {
  await k(["-n", NS, "rollout", "status", "deployment/echo", "--timeout=180s"]);
  assert.equal(await k(["-n", NS, "get", "deployment", "echo", "-o", "jsonpath={.status.readyReplicas}"]), "3");
});

for (const [controller, port] of [["nginx", 18080], ["traefik", 18081]] as const) {
  test(`from the host, the echo answers with its pod name through ${controller} on 127.0.0.1:${port}`, async () => {
    const pods = await echoPods();
    const a = await firstOk("127.0.0.1", port, HOST);
    assert.ok(a.pod && pods.includes(a.pod), `x-lossless-pod ${a.pod} is not one of ${pods.join(",")}`);
  });
}

test("from the host, the echo answers through the MetalLB address", async () => {
  let ip = "";
  for (let i = 0; i < 60 && !ip; i++) {
    ip = await k(["-n", NS, "get", "svc", "echo-lb", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"]);
    if (!ip) await sleep(1000);
  }
  assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/, "echo-lb got no LoadBalancer address");
  const pods = await echoPods();
  const a = await firstOk(ip, 80);
  assert.ok(a.pod && pods.includes(a.pod), `x-lossless-pod ${a.pod} is not one of ${pods.join(",")}`);
});

test("from a pod in the cluster, the echo answers through its ClusterIP", async () => {
  const script = `fetch("http://echo.${NS}.svc.cluster.local/", { headers: { "x-lossless-seq": "1" } })` +
    `.then((r) => console.log(r.status, r.headers.get("x-lossless-pod")))`;
  const out = await runPod("lab-clusterip", ["node", "-e", script]);
  const [status, pod] = out.trim().split(" ");
  assert.equal(status, "200");
  assert.ok(pod && (await echoPods()).includes(pod), `x-lossless-pod ${pod} is not an echo pod`);
});

test("kubectl rollout restart completes and replaces every echo pod", async () => {
  const before = await echoPods();
  await k(["-n", NS, "rollout", "restart", "deployment/echo"]);
  await k(["-n", NS, "rollout", "status", "deployment/echo", "--timeout=300s"]);
  let after: string[] = [];
  for (let i = 0; i < 60; i++) {
    after = await echoPods();
    if (after.length === 3 && after.every((p) => !before.includes(p))) break;
    await sleep(1000);
  }
  assert.equal(after.length, 3);
  assert.deepEqual(after.filter((p) => before.includes(p)), [], "old pods still running");
});
