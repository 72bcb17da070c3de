// The lab's add-ons: MetalLB (L2, a pool at the top of the `kind` network), NGINX kubernetes-ingress on
// 127.0.0.1:18080, ingress-nginx on NodePort 30082, and Traefik on 127.0.0.1:18081 (Ingress and Gateway API:
// GatewayClass `traefik`). Binaries come from scripts/lab/build.sh (Go modules),
// images from Debian rootfs + scripts/lab/addons/*Dockerfile, manifests from scripts/lab/addons/ and from
// MetalLB's module; everything is applied server-side, so a rerun converges instead of failing.
// Both lab sources (offline, online) build the add-ons here: NGINX kubernetes-ingress needs a patched build
// either way (see scripts/lab/recipes/nginx-ingress.sh), and one path is one thing to test.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { docker } from "./docker.ts";
import { CLUSTER_NAME } from "./context.ts";
import { LabError, step, type Lab, type Runner } from "./step.ts";
import { readVersions, need, type Versions } from "./versions.ts";
import { ADDON_ARTEFACTS, ensureAddonImages, ensureLoadedAddonImages, type BuiltImage } from "./addons/images.ts";
import { rewriteManifest } from "./addons/manifest.ts";
import { ensureRootfs, HAPROXY_ROOTFS } from "./rootfs.ts";
import { poolForNetwork, poolManifest, type IpamConfig, type Pool } from "./addons/pool.ts";

export { ADDON_ARTEFACTS, addonsCached } from "./addons/images.ts";
export { poolForSubnet, poolForNetwork, inPool, type Pool } from "./addons/pool.ts";

/** What installAddons needs from lab:up (a subset of up.ts's AddonsContext). */
export interface AddonsCtx {
  kubectl: (args: string[], input?: string) => Promise<string>;
  cache: string;
  repo: string;
  log: (line: string) => void;
  versions?: Versions;
  /** kind binary and cluster name, for `kind load docker-image`. */
  kind?: string;
  cluster?: string;
}

export const FIELD_MANAGER = "lossless-lab";

export const METALLB = {
  namespace: "metallb-system",
  /** IPAddressPool and L2Advertisement name. */
  pool: "lossless",
  controller: "controller",
  speaker: "speaker",
  /** label selector of the speaker pods (their logs say which node announces an IP). */
  speakerSelector: "app=metallb,component=speaker",
} as const;

export interface IngressController {
  name: "nginx" | "traefik";
  ingressClass: string;
  namespace: string;
  deployment: string;
  container: string;
  /** label selector of the controller pods, for their logs (reload / configuration events). */
  selector: string;
  /** where the host reaches it (kind extraPortMappings on the control-plane -> nodePort). */
  url: string;
  hostPort: number;
  nodePort: number;
  /** how a route goes to the Service's ClusterIP instead of pod IPs. */
  clusterIp: { on: "Ingress" | "Service"; annotation: string; value: "true" };
  /** a log line that marks the proxy picking up new upstreams. */
  reloadLine: RegExp;
}

export const INGRESS_CONTROLLERS: Readonly<Record<"nginx" | "traefik", IngressController>> = {
  nginx: {
    name: "nginx",
    ingressClass: "nginx",
    namespace: "nginx-ingress",
    deployment: "nginx-ingress",
    container: "nginx-ingress",
    selector: "app=nginx-ingress",
    url: "http://127.0.0.1:18080",
    hostPort: 18080,
    nodePort: 30080,
    clusterIp: { on: "Ingress", annotation: "nginx.org/use-cluster-ip", value: "true" },
    reloadLine: /Reloading nginx with configVersion: \d+/,
  },
  traefik: {
    name: "traefik",
    ingressClass: "traefik",
    namespace: "traefik",
    deployment: "traefik",
    container: "traefik",
    selector: "app=traefik",
    url: "http://127.0.0.1:18081",
    hostPort: 18081,
    nodePort: 30081,
    clusterIp: { on: "Service", annotation: "traefik.ingress.kubernetes.io/service.nativelb", value: "true" },
    reloadLine: /Configuration received.*kubernetes/,
  },
};

/** ingress-nginx, the community controller (scripts/lab/addons/ingress-nginx/), beside NIC. No host port of its
 * own (the cluster's port mappings are fixed at its creation): the host reaches NodePort 30082 on a node's
 * address on the kind network (`nodeAddress`). */
export const INGRESS_NGINX = {
  name: "ingress-nginx",
  ingressClass: "ingress-nginx",
  controllerClass: "k8s.io/ingress-nginx",
  namespace: "ingress-nginx",
  deployment: "ingress-nginx-controller",
  container: "controller",
  selector: "app=ingress-nginx",
  nodePort: 30082,
  /** per Ingress: the Service's ClusterIP as the one upstream (nginx then never sees endpoint changes). */
  clusterIp: { on: "Ingress", annotation: "nginx.ingress.kubernetes.io/service-upstream", value: "true" },
  /** a reload of nginx (a change the Lua cannot take: a new host, path, annotation). */
  reloadLine: /Backend successfully reloaded/,
  /** the POST of the backends to nginx's Lua: new endpoints without a reload. */
  dynamicLine: /Dynamic reconfiguration succeeded/,
} as const;

/** The control-plane node's address on the kind network: the host reaches NodePorts there. */
export async function nodeAddress(): Promise<string> {
  const r = await docker(["inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", `${CLUSTER_NAME}-control-plane`]);
  const ip = r.ok ? r.out.trim().split(/\s+/)[0] : undefined;
  if (!ip) throw new LabError("the lab's control-plane container has no address on the kind network: run npm run lab:up");
  return ip;
}

/** Gateway API through Traefik's Kubernetes Gateway provider (scripts/lab/addons/traefik/traefik.yaml). */
export const GATEWAY = {
  /** the GatewayClass installAddons applies, and the controllerName Traefik serves. */
  gatewayClass: "traefik",
  controllerName: "traefik.io/gateway-controller",
  /** a Gateway listener on this port is Traefik's `web` entryPoint, reached like its Ingresses. */
  listenerPort: 8000,
  proxy: INGRESS_CONTROLLERS.traefik,
  /** per Service, as for the Ingress provider but under the traefik.io/ prefix. */
  clusterIp: { on: "Service", annotation: "traefik.io/service.nativelb", value: "true" },
  /** the Gateway provider's configuration swaps (the Ingress provider's say providerName=kubernetes). */
  changeLine: /Configuration received.*providerName=kubernetesgateway/,
  /** the test echo's Gateway and HTTPRoute (scripts/lab/manifests/echo-gateway.yaml). */
  echo: { namespace: "lossless-lab", gateway: "echo", route: "echo", host: "echo-gateway.lab.lossless.test" },
  crds: ["gatewayclasses", "gateways", "httproutes", "grpcroutes", "referencegrants", "backendtlspolicies"],
} as const;

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** The MetalLB pool for the `kind` docker network on this machine. */
export async function metallbPool(): Promise<Pool> {
  const r = await docker(["network", "inspect", "kind", "--format", "{{json .IPAM.Config}}"]);
  if (!r.ok) throw new LabError("docker network 'kind' does not exist: create the cluster first (npm run lab:up)");
  return poolForNetwork(JSON.parse(r.out) as IpamConfig[]);
}

/** The LoadBalancer IP MetalLB gave a Service, waiting up to timeoutMs for it. */
export async function loadBalancerIP(
  kubectl: AddonsCtx["kubectl"],
  namespace: string,
  service: string,
  timeoutMs = 60_000,
): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ip = await kubectl(["-n", namespace, "get", "service", service, "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"]);
    if (ip.trim() !== "") return ip.trim();
    if (Date.now() > until) {
      throw new LabError(
        `Service ${namespace}/${service} got no LoadBalancer IP in ${timeoutMs} ms: check it is type LoadBalancer and ` +
          `MetalLB runs (kubectl -n ${METALLB.namespace} get pods; kubectl -n ${namespace} describe service ${service})`,
      );
    }
    await sleep(1000);
  }
}

async function apply(ctx: AddonsCtx, r: Runner, yaml: string): Promise<void> {
  r.note(await ctx.kubectl(["apply", "--server-side", "--force-conflicts", `--field-manager=${FIELD_MANAGER}`, "-f", "-"], yaml));
}

/** Waits for a workload's rollout; on failure the error carries its pods' state and last log lines. */
async function rollout(ctx: AddonsCtx, r: Runner, namespace: string, kind: "deployment" | "daemonset", name: string, selector: string): Promise<void> {
  try {
    r.note(await ctx.kubectl(["-n", namespace, "rollout", "status", `${kind}/${name}`, "--timeout=240s"]));
  } catch (err) {
    const pods = await ctx.kubectl(["-n", namespace, "get", "pods", "-l", selector, "-o", "wide"]).catch(() => "");
    const logs = await ctx.kubectl(["-n", namespace, "logs", "-l", selector, "--tail=20", "--all-containers"]).catch(() => "");
    r.note(`${pods}\n${logs}`);
    throw new LabError(
      `${kind} ${namespace}/${name} is not ready: ${err instanceof Error ? err.message : String(err)}\n${pods}\n` +
        `last log lines:\n${logs.split("\n").slice(-8).join("\n")}`,
    );
  }
}

function imageFor(images: readonly BuiltImage[], name: string): BuiltImage {
  const img = images.find((i) => i.name === name);
  if (!img) throw new Error(`no add-on image ${name}`);
  return img;
}

function idsOf(images: readonly BuiltImage[]): Record<string, string> {
  return Object.fromEntries(images.map((i) => [i.ref, i.id]));
}

async function installMetallb(ctx: AddonsCtx, lab: Lab, images: readonly BuiltImage[]): Promise<Pool> {
  return step(lab, "metallb", async (r) => {
    const version = need(lab.versions, "METALLB_VERSION");
    const text = readFileSync(join(lab.cache, "bin", "metallb-native.yaml"), "utf8");
    const yaml = rewriteManifest(text, {
      images: {
        [`quay.io/metallb/controller:${version}`]: imageFor(images, "metallb-controller").ref,
        [`quay.io/metallb/speaker:${version}`]: imageFor(images, "metallb-speaker").ref,
      },
      imageIds: idsOf(images),
    });
    await apply(ctx, r, yaml);
    await rollout(ctx, r, METALLB.namespace, "deployment", METALLB.controller, "app=metallb,component=controller");
    await rollout(ctx, r, METALLB.namespace, "daemonset", METALLB.speaker, METALLB.speakerSelector);
    const pool = await metallbPool();
    // The pool goes through MetalLB's validating webhook, served by the controller once its certificate is
    // in place: a fresh install refuses it for a few seconds.
    const until = Date.now() + 180_000;
    for (;;) {
      try {
        await apply(ctx, r, poolManifest(pool, METALLB.namespace, METALLB.pool));
        break;
      } catch (err) {
        if (Date.now() > until) throw err;
        r.note(`pool not accepted yet: ${err instanceof Error ? err.message : String(err)}`);
        await sleep(3000);
      }
    }
    ctx.log(`MetalLB L2 pool ${pool.range} (kind network ${pool.subnet})`);
    return pool;
  });
}

async function installController(ctx: AddonsCtx, lab: Lab, images: readonly BuiltImage[], c: IngressController, manifest: string, image: string): Promise<void> {
  await step(lab, `${c.name} ingress`, async (r) => {
    const text = readFileSync(join(lab.repo, manifest), "utf8");
    const img = imageFor(images, image);
    await apply(ctx, r, rewriteManifest(text, { images: { "${IMAGE}": img.ref }, imageIds: idsOf(images) }));
    await rollout(ctx, r, c.namespace, "deployment", c.deployment, c.selector);
    ctx.log(`${c.name}: IngressClass ${c.ingressClass}, ${c.url} (NodePort ${c.nodePort})`);
  });
}

/** ingress-nginx: its image is only loaded (never in the node image), then the manifest applied. */
async function installIngressNginx(ctx: AddonsCtx, lab: Lab, images: readonly BuiltImage[]): Promise<void> {
  await step(lab, "ingress-nginx", async (r) => {
    const c = INGRESS_NGINX;
    const text = readFileSync(join(lab.repo, "scripts/lab/addons/ingress-nginx/ingress-nginx.yaml"), "utf8");
    const img = imageFor(images, "ingress-nginx");
    await apply(ctx, r, rewriteManifest(text, { images: { "${IMAGE}": img.ref }, imageIds: idsOf(images) }));
    await rollout(ctx, r, c.namespace, "deployment", c.deployment, c.selector);
    ctx.log(`ingress-nginx: IngressClass ${c.ingressClass}, http://${await nodeAddress()}:${c.nodePort} (NodePort ${c.nodePort} on any node)`);
  });
}

/** The Gateway API CRDs (standard channel, from the module: scripts/lab/recipes/gateway-api.sh), before Traefik. */
async function installGatewayCrds(ctx: AddonsCtx, lab: Lab): Promise<void> {
  await step(lab, "gateway api CRDs", async (r) => {
    // server-side: these CRDs are larger than client-side apply's last-applied annotation allows
    await apply(ctx, r, readFileSync(join(lab.cache, "bin", "gateway-api-crds.yaml"), "utf8"));
    const names = GATEWAY.crds.map((c) => `crd/${c}.gateway.networking.k8s.io`);
    r.note(await ctx.kubectl(["wait", "--for=condition=Established", "--timeout=60s", ...names]));
    ctx.log(`Gateway API ${need(lab.versions, "GATEWAY_API_VERSION")} CRDs (standard channel): ${GATEWAY.crds.length} kinds`);
  });
}

/** The echo's Gateway + HTTPRoute, once Traefik serves the GatewayClass. */
async function installEchoGateway(ctx: AddonsCtx, lab: Lab): Promise<void> {
  await step(lab, "echo gateway", async (r) => {
    await apply(ctx, r, readFileSync(join(lab.repo, "scripts/lab/manifests/echo-gateway.yaml"), "utf8"));
    const e = GATEWAY.echo;
    r.note(await ctx.kubectl(["-n", e.namespace, "wait", "--for=condition=Programmed", "--timeout=120s", `gateway/${e.gateway}`]));
    ctx.log(`gateway: GatewayClass ${GATEWAY.gatewayClass}, echo at ${GATEWAY.proxy.url} with Host ${e.host}`);
  });
}

/** Builds, loads and applies MetalLB, NGINX kubernetes-ingress and Traefik (its Ingress and Gateway API
 * providers, after the Gateway API CRDs); waits until each is ready. */
export async function installAddons(ctx: AddonsCtx): Promise<void> {
  const lab: Lab = {
    cache: ctx.cache,
    repo: ctx.repo,
    versions: ctx.versions ?? readVersions(join(ctx.repo, "scripts/lab/versions.env")),
    out: ctx.log,
    timings: [],
  };
  const t0 = performance.now();
  await step(lab, "add-on binaries", async (r) => {
    const out = await r.run("bash", [join(lab.repo, "scripts/lab/build.sh"), ...ADDON_ARTEFACTS], { timeoutMs: 90 * 60_000 });
    for (const line of out.split("\n").filter(Boolean)) ctx.log(line);
  });
  const images = [...(await ensureAddonImages(lab)), ...(await ensureLoadedAddonImages(lab))];
  await step(lab, "load add-on images", async (r) => {
    // one image a call: kind skips an image already on every node, but imports a combined archive of all the
    // named images into any node missing one of them
    for (const i of images) await r.run(ctx.kind ?? "kind", ["load", "docker-image", "--name", ctx.cluster ?? "lossless", i.ref]);
  });
  // the `cloud` LB provider's proxy: Debian's HAProxy, run on the host's docker per Service by the run's
  // controller (harness/src/lab/cloudlb/), so it is built here but never loaded into the nodes
  ctx.log(`cloud LB image ${await ensureRootfs(lab, HAPROXY_ROOTFS)}`);
  await installMetallb(ctx, lab, images);
  await installController(ctx, lab, images, INGRESS_CONTROLLERS.nginx, "scripts/lab/addons/nginx-ingress/nginx-ingress.yaml", "nginx-ingress");
  await installIngressNginx(ctx, lab, images);
  await installGatewayCrds(ctx, lab);
  await installController(ctx, lab, images, INGRESS_CONTROLLERS.traefik, "scripts/lab/addons/traefik/traefik.yaml", "traefik");
  await installEchoGateway(ctx, lab);
  const parts = lab.timings.map((t) => `${t.name} ${t.result === "cached" ? "cached" : `${t.seconds.toFixed(1)}s`}`);
  ctx.log(`add-ons ready in ${((performance.now() - t0) / 1000).toFixed(1)}s (${parts.join(", ")})`);
}
