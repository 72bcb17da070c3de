// Gateway API on the running lab (npm run test:lab, after npm run lab:up): the CRDs of the standard channel,
// Traefik's Kubernetes Gateway provider accepting the GatewayClass, the test echo served through its Gateway +
// HTTPRoute, HTTPRoute backends at pod IPs by default and at the ClusterIP with traefik.io/service.nativelb,
// and an endpoint change arriving as a configuration swap of the Gateway provider (no reload). Traffic only to
// 127.0.0.1; every wait is bounded in count.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createLab } from "../src/lab/context.ts";
import { kubectl } from "../src/lab/cluster.ts";
import { firstOk, sleep } from "./http.ts";
import { ECHO_NAMESPACE } from "../src/lab/up.ts";
import { GATEWAY } from "../src/lab/addons.ts";

const lab = createLab(() => {});
const k = (args: string[], input?: string) => kubectl(lab, args, input);
const NS = "lossless-gateway-test";
const proxy = GATEWAY.proxy;
const host = (name: string) => `${name}.gateway.lossless.test`;

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, tries = 60): Promise<T> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(1000);
  }
  throw new Error(`${what}: not true after ${tries} tries${last ? `; last error: ${String(last)}` : ""}`);
}

const condition = async (kind: string, name: string, type: string, ns?: string) => {
  const at = ns ? ["-n", ns] : [];
  const path = kind === "gatewayclass" || kind === "gateway"
    ? `{.status.conditions[?(@.type=="${type}")].status}`
    : `{.status.parents[0].conditions[?(@.type=="${type}")].status}`;
  return (await k([...at, "get", kind, name, "-o", `jsonpath=${path}`])).trim();
};

function gateway(name: string) {
  return {
    apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name, namespace: NS },
    spec: { gatewayClassName: GATEWAY.gatewayClass, listeners: [{ name: "http", protocol: "HTTP", port: GATEWAY.listenerPort, hostname: host(name) }] },
  };
}

function route(name: string, service: string) {
  return {
    apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name, namespace: NS },
    spec: { parentRefs: [{ name }], hostnames: [host(name)], rules: [{ backendRefs: [{ name: service, port: 80 }] }] },
  };
}

function service(name: string, annotations: Record<string, string> = {}) {
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace: NS, annotations }, spec: { selector: { app: "echo" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] } };
}

async function podNames(ns = NS): Promise<string[]> {
  return (await k(["-n", ns, "get", "pods", "-l", "app=echo", "-o", "jsonpath={.items[*].metadata.name}"])).split(/\s+/).filter(Boolean);
}

async function podIPs(): Promise<string[]> {
  const out = await k(["-n", NS, "get", "pods", "-l", "app=echo", "--field-selector=status.phase=Running", "-o", "jsonpath={.items[*].status.podIP}"]);
  return out.split(/\s+/).filter(Boolean).sort();
}

/** Traefik's servers for an HTTPRoute's backend Service, from its API through the API server's pod proxy
 * (the Gateway provider names it `<ns>-<svc>-http-<port>@kubernetesgateway`). */
async function traefikServers(svc: string): Promise<string[]> {
  const pod = await k(["-n", proxy.namespace, "get", "pods", "-l", proxy.selector, "-o", "jsonpath={.items[0].metadata.name}"]);
  const raw = await k(["get", "--raw", `/api/v1/namespaces/${proxy.namespace}/pods/${pod}:8080/proxy/api/http/services`]);
  const all = JSON.parse(raw) as Array<{ name: string; provider?: string; loadBalancer?: { servers?: Array<{ url: string }> } }>;
  const mine = all.find((s) => s.name === `${NS}-${svc}-http-80@kubernetesgateway`);
  return (mine?.loadBalancer?.servers ?? []).map((s) => s.url.replace(/^http:\/\//, "")).sort();
}

before(async () => {
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
    service("echo"),
    service("echo-native", { [GATEWAY.clusterIp.annotation]: "true" }),
    gateway("pods"), route("pods", "echo"),
    gateway("cip"), route("cip", "echo-native"),
  ];
  await k(["apply", "--server-side", "-f", "-"], objs.map((o) => JSON.stringify(o)).join("\n"));
  await k(["-n", NS, "rollout", "status", "deployment/echo", "--timeout=180s"]);
});

after(async () => {
  await k(["delete", "namespace", NS, "--wait=false"]).catch(() => undefined);
});

test("gateway: the standard-channel CRDs are established and Traefik accepted the GatewayClass", async () => {
  for (const crd of GATEWAY.crds) {
    const crdName = `${crd}.gateway.networking.k8s.io`;
    const est = await k(["get", "crd", crdName, "-o", `jsonpath={.status.conditions[?(@.type=="Established")].status} {.metadata.annotations.gateway\\.networking\\.k8s\\.io/channel}`]);
    assert.equal(est.trim(), "True standard", crdName);
  }
  assert.equal(await condition("gatewayclass", GATEWAY.gatewayClass, "Accepted"), "True");
});

test("gateway: the test echo answers with its pod name through its Gateway + HTTPRoute on 127.0.0.1:18081", async () => {
  const e = GATEWAY.echo;
  assert.equal(await condition("gateway", e.gateway, "Programmed", e.namespace), "True");
  assert.equal(await condition("httproute", e.route, "Accepted", e.namespace), "True");
  const a = await firstOk("127.0.0.1", proxy.hostPort, e.host);
  assert.ok(a.pod && (await podNames(e.namespace)).includes(a.pod), `x-lossless-pod ${a.pod} is not a pod of the lab's echo`);
});

test("gateway: HTTPRoute backends are the pod IPs by default and the ClusterIP with traefik.io/service.nativelb", async () => {
  const want = (await podIPs()).map((ip) => `${ip}:8080`).sort();
  await eventually("gateway servers = pod IPs", async () => {
    const s = await traefikServers("echo");
    return JSON.stringify(s) === JSON.stringify(want) ? s : undefined;
  });
  const cip = (await k(["-n", NS, "get", "svc", "echo-native", "-o", "jsonpath={.spec.clusterIP}"])).trim();
  await eventually("gateway server = ClusterIP", async () => {
    const s = await traefikServers("echo-native");
    return s.length === 1 && s[0] === `${cip}:80` ? s : undefined;
  });
  for (const name of ["pods", "cip"]) {
    const a = await firstOk("127.0.0.1", proxy.hostPort, host(name));
    assert.ok(a.pod && (await podNames()).includes(a.pod), `${name}: x-lossless-pod ${a.pod}`);
  }
});

test("gateway: an endpoint change reaches Traefik as a Gateway-provider configuration swap, no reload", async () => {
  const since = new Date(Date.now() - 1000).toISOString();
  await k(["-n", NS, "scale", "deployment/echo", "--replicas=3"]);
  await k(["-n", NS, "rollout", "status", "deployment/echo", "--timeout=180s"]);
  const want = (await podIPs()).map((ip) => `${ip}:8080`).sort();
  assert.equal(want.length, 3);
  await eventually("gateway servers follow the new pod", async () => (JSON.stringify(await traefikServers("echo")) === JSON.stringify(want) ? true : undefined));
  const logs = await k(["-n", proxy.namespace, "logs", `deploy/${proxy.deployment}`, "-c", proxy.container, `--since-time=${since}`]);
  const swaps = logs.split("\n").filter((l) => GATEWAY.changeLine.test(l));
  assert.ok(swaps.length >= 1, `no 'Configuration received ... providerName=kubernetesgateway' line since ${since}`);
  assert.equal((await traefikServers("echo-native")).length, 1, "the ClusterIP backend changed with the endpoints");
});
