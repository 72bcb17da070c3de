// The controller facts exported for scenarios (INGRESS_CONTROLLERS) must match the manifests installAddons
// applies and the kind port mappings; a drift would send scenarios to the wrong namespace, port or selector.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { GATEWAY, INGRESS_CONTROLLERS, INGRESS_NGINX } from "./addons.ts";
import { ADDON_IMAGES, LOADED_ADDON_IMAGES } from "./addons/images.ts";
import { INGRESS_NGINX_NODE_PORT } from "../scenario/paths.ts";
import { parseManifest } from "./addons/manifest.ts";
import { repoRoot } from "./context.ts";
import { readVersions } from "./versions.ts";

const repo = repoRoot();
const MANIFESTS = { nginx: "scripts/lab/addons/nginx-ingress/nginx-ingress.yaml", traefik: "scripts/lab/addons/traefik/traefik.yaml" } as const;

type Obj = Record<string, any>;

for (const c of Object.values(INGRESS_CONTROLLERS)) {
  test(`${c.name}: manifest, kind port mapping and exported facts agree`, () => {
    const objs = parseManifest(readFileSync(join(repo, MANIFESTS[c.name]), "utf8")) as Obj[];
    const of = (kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata?.name === name);
    assert.ok(of("Namespace", c.namespace), `no Namespace ${c.namespace}`);
    assert.ok(of("IngressClass", c.ingressClass), `no IngressClass ${c.ingressClass}`);
    const dep = of("Deployment", c.deployment);
    assert.ok(dep, `no Deployment ${c.deployment}`);
    assert.equal(dep.metadata.namespace, c.namespace);
    const [key, value] = c.selector.split("=");
    assert.equal(dep.spec.template.metadata.labels[key!], value, "pod labels do not match the exported selector");
    assert.ok(dep.spec.template.spec.containers.some((k: Obj) => k.name === c.container && k.image === "${IMAGE}"));
    const svc = objs.find((o) => o.kind === "Service" && o.metadata.namespace === c.namespace) as Obj;
    assert.equal(svc.spec.type, "NodePort");
    assert.equal(svc.spec.ports[0].nodePort, c.nodePort);
    const kind = parse(readFileSync(join(repo, "scripts/lab/kind.yaml"), "utf8")) as Obj;
    const maps = kind.nodes.flatMap((n: Obj) => n.extraPortMappings ?? []) as Obj[];
    const m = maps.find((p) => p.containerPort === c.nodePort);
    assert.ok(m, `kind.yaml maps no host port to NodePort ${c.nodePort}`);
    assert.equal(m.hostPort, c.hostPort);
    assert.equal(c.url, `http://${m.listenAddress}:${m.hostPort}`);
  });
}

test("every add-on image ref and version is pinned in versions.env", () => {
  const v = readVersions(join(repo, "scripts/lab/versions.env"));
  for (const img of [...ADDON_IMAGES, ...LOADED_ADDON_IMAGES]) assert.match(v[img.refKey] ?? "", /^[a-z0-9./-]+:[\w.-]+$/, `${img.refKey} missing or malformed`);
  for (const key of ["METALLB_VERSION", "NIC_VERSION", "TRAEFIK_VERSION", "GATEWAY_API_VERSION"]) assert.match(v[key] ?? "", /^v\d+\.\d+\.\d+$/, key);
  assert.match(v.INGRESS_NGINX_VERSION ?? "", /^v0\.0\.0-\d{14}-[0-9a-f]{12}$/, "INGRESS_NGINX_VERSION (a pseudo-version)");
});

test("gateway: Traefik's manifest serves the exported GatewayClass on the entryPoint the echo's Gateway listens on", () => {
  const objs = parseManifest(readFileSync(join(repo, MANIFESTS.traefik), "utf8")) as Obj[];
  const cls = objs.find((o) => o.kind === "GatewayClass" && o.metadata?.name === GATEWAY.gatewayClass);
  assert.ok(cls, `no GatewayClass ${GATEWAY.gatewayClass}`);
  assert.equal(cls.spec.controllerName, GATEWAY.controllerName);
  const args = objs.find((o) => o.kind === "Deployment")!.spec.template.spec.containers[0].args as string[];
  assert.ok(args.includes("--providers.kubernetesgateway=true"), "the Gateway provider is not enabled");
  // Traefik binds a listener to the entryPoint whose address ends in the listener's port
  assert.ok(args.includes(`--entryPoints.web.address=:${GATEWAY.listenerPort}`), `no web entryPoint on :${GATEWAY.listenerPort}`);
  const role = objs.find((o) => o.kind === "ClusterRole") as Obj;
  const gw = role.rules.find((r: Obj) => r.apiGroups.includes("gateway.networking.k8s.io") && r.verbs.includes("watch")) as Obj;
  for (const kind of GATEWAY.crds) assert.ok(gw.resources.includes(kind), `Traefik may not watch ${kind}`);
  const echo = parseManifest(readFileSync(join(repo, "scripts/lab/manifests/echo-gateway.yaml"), "utf8")) as Obj[];
  const g = echo.find((o) => o.kind === "Gateway") as Obj;
  assert.equal(g.metadata.name, GATEWAY.echo.gateway);
  assert.equal(g.metadata.namespace, GATEWAY.echo.namespace);
  assert.equal(g.spec.gatewayClassName, GATEWAY.gatewayClass);
  assert.equal(g.spec.listeners[0].port, GATEWAY.listenerPort);
  const route = echo.find((o) => o.kind === "HTTPRoute") as Obj;
  assert.deepEqual(route.spec.hostnames, [GATEWAY.echo.host]);
  assert.equal(route.spec.parentRefs[0].name, GATEWAY.echo.gateway);
});

test("ingress-nginx: manifest and exported facts agree; its image is never baked into the node image", () => {
  const objs = parseManifest(readFileSync(join(repo, "scripts/lab/addons/ingress-nginx/ingress-nginx.yaml"), "utf8")) as Obj[];
  const c = INGRESS_NGINX;
  const of = (kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata?.name === name);
  assert.ok(of("Namespace", c.namespace));
  assert.equal(of("IngressClass", c.ingressClass)?.spec.controller, c.controllerClass);
  const dep = of("Deployment", c.deployment)!;
  assert.equal(dep.metadata.namespace, c.namespace);
  const [key, value] = c.selector.split("=");
  assert.equal(dep.spec.template.metadata.labels[key!], value);
  const k = dep.spec.template.spec.containers.find((x: Obj) => x.name === c.container);
  assert.equal(k.image, "${IMAGE}");
  for (const arg of [`--ingress-class=${c.ingressClass}`, `--controller-class=${c.controllerClass}`, "--v=2"]) assert.ok(k.args.includes(arg), arg);
  const svc = objs.find((o) => o.kind === "Service" && o.metadata.namespace === c.namespace)!;
  assert.equal(svc.spec.type, "NodePort");
  assert.equal(svc.spec.ports[0].nodePort, c.nodePort);
  assert.equal(INGRESS_NGINX_NODE_PORT, c.nodePort, "the scenario runner's NodePort");
  // NIC keeps its class: the two nginx controllers never pick up each other's Ingresses
  assert.notEqual(c.ingressClass, INGRESS_CONTROLLERS.nginx.ingressClass);
  assert.ok(!ADDON_IMAGES.some((i) => i.name === "ingress-nginx"), "in the node image: a new image there recreates the cluster");
  assert.ok(LOADED_ADDON_IMAGES.some((i) => i.name === "ingress-nginx"));
});
