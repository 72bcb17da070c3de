// ingress-nginx beside NGINX Inc's controller on the running lab (npm run test:lab, after npm run lab:up): each
// serves the echo through its own IngressClass, and an endpoint change is a Lua update without a reload on
// ingress-nginx (its controller logs "Dynamic reconfiguration succeeded.", never "Backend successfully
// reloaded", and nginx's master gets no SIGHUP) while NIC reloads nginx for it. Traffic only to 127.0.0.1 and
// to the control-plane node's address on the kind network; every wait is bounded in count.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createLab } from "../src/lab/context.ts";
import { kubectl } from "../src/lab/cluster.ts";
import { firstOk, sleep } from "./http.ts";
import { ECHO_NAMESPACE } from "../src/lab/up.ts";
import { INGRESS_CONTROLLERS, INGRESS_NGINX, nodeAddress } from "../src/lab/addons.ts";

const lab = createLab(() => {});
const k = (args: string[], input?: string) => kubectl(lab, args, input);
const NS = "lossless-ingress-nginx-test";
const inx = INGRESS_NGINX;
const nic = INGRESS_CONTROLLERS.nginx;
const host = (name: string) => `${name}.ingress-nginx.lossless.test`;

function ingress(name: string, cls: string, annotations: Record<string, string> = {}) {
  return {
    apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name, namespace: NS, annotations },
    spec: { ingressClassName: cls, rules: [{ host: host(name), http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "echo", port: { number: 80 } } } }] } }] },
  };
}

async function podNames(ns = NS): Promise<string[]> {
  return (await k(["-n", ns, "get", "pods", "-l", "app=echo", "-o", "jsonpath={.items[*].metadata.name}"])).split(/\s+/).filter(Boolean);
}

async function logsSince(ns: string, deployment: string, container: string, since: string): Promise<string[]> {
  return (await k(["-n", ns, "logs", `deploy/${deployment}`, "-c", container, `--since-time=${since}`])).split("\n");
}

/** Polls until `fn` returns a value, a second apart. */
async function eventually<T>(what: string, fn: () => Promise<T | undefined>, tries = 60): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    await sleep(1000);
  }
  throw new Error(`${what}: not true after ${tries} tries`);
}

let address = "";

before(async () => {
  address = await nodeAddress();
  const image = await k(["-n", ECHO_NAMESPACE, "get", "deployment", "echo", "-o", "jsonpath={.spec.template.spec.containers[0].image}"]);
  await k(["delete", "namespace", NS, "--ignore-not-found", "--wait=true", "--timeout=120s"]);
  const objs = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } },
    {
      apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "echo", namespace: NS },
      spec: {
        replicas: 2, selector: { matchLabels: { app: "echo" } },
        template: {
          metadata: { labels: { app: "echo" } },
          spec: {
            containers: [{
              name: "echo", image, imagePullPolicy: "IfNotPresent",
              env: [{ name: "PORT", value: "8080" }, { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
              ports: [{ name: "http", containerPort: 8080 }],
              readinessProbe: { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 2 },
            }],
          },
        },
      },
    },
    { apiVersion: "v1", kind: "Service", metadata: { name: "echo", namespace: NS }, spec: { selector: { app: "echo" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] } },
    ingress("inx-pods", inx.ingressClass),
    ingress("inx-cip", inx.ingressClass, { [inx.clusterIp.annotation]: "true" }),
    ingress("nic-pods", nic.ingressClass),
  ];
  await k(["apply", "-f", "-"], objs.map((o) => JSON.stringify(o)).join("\n"));
  await k(["-n", NS, "rollout", "status", "deployment/echo", "--timeout=180s"]);
});

after(async () => {
  await k(["delete", "namespace", NS, "--wait=false"]).catch(() => undefined);
});

test("ingress-nginx serves the lab's echo through IngressClass ingress-nginx on NodePort 30082; NIC through nginx", async () => {
  const a = await firstOk(address, inx.nodePort, "echo.lab.lossless.test");
  assert.ok(a.pod && (await podNames(ECHO_NAMESPACE)).includes(a.pod), `ingress-nginx: x-lossless-pod ${a.pod} is not a pod of the lab's echo`);
  const b = await firstOk("127.0.0.1", nic.hostPort, "echo.lab.lossless.test");
  assert.ok(b.pod && (await podNames(ECHO_NAMESPACE)).includes(b.pod), `NIC: x-lossless-pod ${b.pod}`);
  for (const name of ["inx-pods", "inx-cip"]) {
    const r = await firstOk(address, inx.nodePort, host(name));
    assert.ok(r.pod && (await podNames()).includes(r.pod), `${name}: x-lossless-pod ${r.pod}`);
  }
});

test("an endpoint change: ingress-nginx updates its Lua backends without a reload, NIC reloads nginx", async () => {
  // both controllers route to this test's pods before the change, so what follows is the change alone
  await firstOk(address, inx.nodePort, host("inx-pods"));
  await firstOk("127.0.0.1", nic.hostPort, host("nic-pods"));
  await sleep(2000);
  const since = new Date(Date.now() - 500).toISOString();
  await k(["-n", NS, "scale", "deployment/echo", "--replicas=3"]);
  await k(["-n", NS, "rollout", "status", "deployment/echo", "--timeout=180s"]);
  const pods = await podNames();
  assert.equal(pods.length, 3);
  // the new pod answers through ingress-nginx: its backends were updated
  const newest = await eventually("ingress-nginx routes to all three pods", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const r = await firstOk(address, inx.nodePort, host("inx-pods"), 3);
      if (r.pod) seen.add(r.pod);
    }
    return pods.every((p) => seen.has(p)) ? seen : undefined;
  }, 20);
  assert.equal(newest.size, 3);
  const inxLog = await logsSince(inx.namespace, inx.deployment, inx.container, since);
  assert.ok(inxLog.some((l) => inx.dynamicLine.test(l)), `no "Dynamic reconfiguration succeeded" in ingress-nginx's log since ${since}`);
  assert.deepEqual(inxLog.filter((l) => inx.reloadLine.test(l) || /signal 1 \(SIGHUP\)/.test(l)), [], "ingress-nginx reloaded nginx for an endpoint change");
  const nicLog = await logsSince(nic.namespace, nic.deployment, nic.container, since);
  assert.ok(nicLog.some((l) => nic.reloadLine.test(l)), `NIC logged no reload for the same change since ${since}`);
});
