// The add-ons on the running lab (npm run test:lab, after npm run lab:up): MetalLB with both
// externalTrafficPolicy values, NGINX kubernetes-ingress upstreams by pod IP vs ClusterIP (the annotation) and
// its reload log line, Traefik's servers by pod IP vs ClusterIP (nativeLB). Traffic only to 127.0.0.1 and to
// MetalLB addresses on the kind network of this machine; every wait is bounded in count.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createLab } from "../src/lab/context.ts";
import { kubectl } from "../src/lab/cluster.ts";
import { firstOk, sleep } from "./http.ts";
import { ECHO_NAMESPACE } from "../src/lab/up.ts";
import { INGRESS_CONTROLLERS, inPool, loadBalancerIP, metallbPool } from "../src/lab/addons.ts";

const lab = createLab(() => {});
const k = (args: string[], input?: string) => kubectl(lab, args, input);
const NS = "lossless-addons-test";
const nic = INGRESS_CONTROLLERS.nginx;
const traefik = INGRESS_CONTROLLERS.traefik;

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

const host = (name: string) => `${name}.addons.lossless.test`;

function ingress(name: string, cls: string, service: string, annotations: Record<string, string> = {}) {
  return {
    apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name, namespace: NS, annotations },
    spec: { ingressClassName: cls, rules: [{ host: host(name), http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: service, port: { number: 80 } } } }] } }] },
  };
}

function service(name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}) {
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace: NS, annotations }, spec: { selector: { app: "echo" }, ports: [{ name: "http", port: 80, targetPort: 8080 }], ...spec } };
}

async function podIPs(): Promise<string[]> {
  const out = await k(["-n", NS, "get", "pods", "-l", "app=echo", "--field-selector=status.phase=Running", "-o", "jsonpath={.items[*].status.podIP}"]);
  return out.split(/\s+/).filter(Boolean).sort();
}

async function podNames(): Promise<string[]> {
  const out = await k(["-n", NS, "get", "pods", "-l", "app=echo", "-o", "jsonpath={.items[*].metadata.name}"]);
  return out.split(/\s+/).filter(Boolean);
}

const clusterIP = (svc: string) => k(["-n", NS, "get", "svc", svc, "-o", "jsonpath={.spec.clusterIP}"]);

/** The upstream servers (ip:port) nginx has for one Ingress, from the config NIC wrote. */
async function nginxUpstreams(ing: string): Promise<string[]> {
  const conf = await k(["-n", nic.namespace, "exec", `deploy/${nic.deployment}`, "-c", nic.container, "--", "cat", `/etc/nginx/conf.d/${NS}-${ing}.conf`]);
  return [...conf.matchAll(/^\s*server (\d+\.\d+\.\d+\.\d+:\d+)/gm)].map((m) => m[1]!).sort();
}

/** Traefik's servers for a Service, from its API through the API server's pod proxy. */
async function traefikServers(svc: string): Promise<string[]> {
  const pod = await k(["-n", traefik.namespace, "get", "pods", "-l", traefik.selector, "-o", "jsonpath={.items[0].metadata.name}"]);
  const raw = await k(["get", "--raw", `/api/v1/namespaces/${traefik.namespace}/pods/${pod}:8080/proxy/api/http/services`]);
  const all = JSON.parse(raw) as Array<{ name: string; loadBalancer?: { servers?: Array<{ url: string }> } }>;
  const mine = all.find((s) => s.name.startsWith(`${NS}-${svc}-`));
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
    service("echo", {}),
    service("echo-native", {}, { [traefik.clusterIp.annotation]: "true" }),
    service("lb-cluster", { type: "LoadBalancer", externalTrafficPolicy: "Cluster" }),
    service("lb-local", { type: "LoadBalancer", externalTrafficPolicy: "Local" }),
    ingress("nginx-pods", nic.ingressClass, "echo"),
    ingress("nginx-cip", nic.ingressClass, "echo", { [nic.clusterIp.annotation]: "true" }),
    ingress("traefik-pods", traefik.ingressClass, "echo"),
    ingress("traefik-cip", traefik.ingressClass, "echo-native"),
  ];
  await k(["apply", "-f", "-"], objs.map((o) => JSON.stringify(o)).join("\n"));
  await k(["-n", NS, "rollout", "status", "deployment/echo", "--timeout=180s"]);
});

after(async () => {
  await k(["delete", "namespace", NS, "--wait=false"]).catch(() => undefined);
});

for (const [svc, policy] of [["lb-cluster", "Cluster"], ["lb-local", "Local"]] as const) {
  test(`MetalLB: a LoadBalancer Service with externalTrafficPolicy ${policy} gets a pool address that answers from the host`, async () => {
    const pool = await metallbPool();
    const ip = await loadBalancerIP(k, NS, svc, 90_000);
    assert.ok(inPool(pool, ip), `${ip} is outside the pool ${pool.range}`);
    const a = await firstOk(ip, 80);
    assert.ok(a.pod && (await podNames()).includes(a.pod), `x-lossless-pod ${a.pod} is not one of this test's echo pods`);
  });
}

test("NGINX: without the annotation the upstreams are the pod IPs; with nginx.org/use-cluster-ip the ClusterIP", async () => {
  const ips = await podIPs();
  const want = ips.map((ip) => `${ip}:8080`).sort();
  const pods = await eventually("nginx upstreams = pod IPs", async () => {
    const u = await nginxUpstreams("nginx-pods");
    return JSON.stringify(u) === JSON.stringify(want) ? u : undefined;
  });
  assert.deepEqual(pods, want);
  const cip = await clusterIP("echo");
  assert.deepEqual(await eventually("nginx upstream = ClusterIP", async () => {
    const u = await nginxUpstreams("nginx-cip");
    return u.length === 1 && u[0] === `${cip}:80` ? u : undefined;
  }), [`${cip}:80`]);
  for (const ing of ["nginx-pods", "nginx-cip"]) {
    const a = await firstOk("127.0.0.1", nic.hostPort, host(ing));
    assert.ok(a.pod && (await podNames()).includes(a.pod), `${ing}: x-lossless-pod ${a.pod}`);
  }
});

test("NGINX: an endpoint change reloads nginx, logged as 'Reloading nginx with configVersion'; the ClusterIP route is untouched", async () => {
  const since = new Date(Date.now() - 1000).toISOString();
  await k(["-n", NS, "scale", "deployment/echo", "--replicas=3"]);
  await k(["-n", NS, "rollout", "status", "deployment/echo", "--timeout=180s"]);
  const want = (await podIPs()).map((ip) => `${ip}:8080`);
  assert.equal(want.length, 3);
  await eventually("nginx upstreams follow the new pod", async () => ((await nginxUpstreams("nginx-pods")).length === 3 ? true : undefined));
  const logs = await k(["-n", nic.namespace, "logs", `deploy/${nic.deployment}`, "-c", nic.container, `--since-time=${since}`]);
  const reloads = logs.split("\n").filter((l) => nic.reloadLine.test(l));
  assert.ok(reloads.length >= 1, `no reload line in the controller log since ${since}`);
  assert.equal((await nginxUpstreams("nginx-cip")).length, 1);
});

test("Traefik: servers are pod IPs by default and the ClusterIP with the Service's nativelb annotation", async () => {
  const want = (await podIPs()).map((ip) => `${ip}:8080`).sort();
  await eventually("traefik servers = pod IPs", async () => {
    const s = await traefikServers("echo");
    return JSON.stringify(s) === JSON.stringify(want) ? s : undefined;
  });
  const cip = await clusterIP("echo-native");
  await eventually("traefik server = ClusterIP", async () => {
    const s = await traefikServers("echo-native");
    return s.length === 1 && s[0] === `${cip}:80` ? s : undefined;
  });
  for (const ing of ["traefik-pods", "traefik-cip"]) {
    const a = await firstOk("127.0.0.1", traefik.hostPort, host(ing));
    assert.ok(a.pod && (await podNames()).includes(a.pod), `${ing}: x-lossless-pod ${a.pod}`);
  }
});
