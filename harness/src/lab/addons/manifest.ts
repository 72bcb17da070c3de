// Manifests of the add-ons, adapted before a server-side apply: image refs replaced by the ones built here,
// and an annotation on each pod template carrying the image's content id, so a rebuilt image under the same
// tag rolls its pods (a tag alone would leave them on the old image).
import { parseAllDocuments, stringify } from "yaml";

export interface Rewrite {
  /** image ref in the manifest (or `${IMAGE}`) -> image ref to run. */
  images: Readonly<Record<string, string>>;
  /** image ref to run -> content id (`docker image inspect .Id`), stamped on the pod templates using it. */
  imageIds?: Readonly<Record<string, string>>;
}

export const IMAGE_ID_ANNOTATION = "lossless.dev/image-id";

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function child(o: Obj, key: string): Obj {
  const v = o[key];
  if (isObj(v)) return v;
  const made: Obj = {};
  o[key] = made;
  return made;
}

/** The manifest's objects, each as a plain object (empty documents dropped). */
export function parseManifest(text: string): Obj[] {
  const out: Obj[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`manifest does not parse: ${doc.errors[0]!.message}`);
    const v: unknown = doc.toJS();
    if (isObj(v)) out.push(v);
  }
  return out;
}

/** Replaces images (containers and initContainers of pod templates) and stamps image ids; returns YAML. */
export function rewriteManifest(text: string, rw: Rewrite): string {
  const objs = parseManifest(text);
  const unused = new Set(Object.keys(rw.images));
  for (const o of objs) {
    const spec = o.spec;
    if (!isObj(spec) || !isObj(spec.template)) continue;
    const tpl = spec.template;
    const podSpec = tpl.spec;
    if (!isObj(podSpec)) continue;
    const ids: string[] = [];
    for (const key of ["initContainers", "containers"]) {
      const list = podSpec[key];
      if (!Array.isArray(list)) continue;
      for (const c of list) {
        if (!isObj(c) || typeof c.image !== "string") continue;
        const to = rw.images[c.image];
        if (to === undefined) continue;
        unused.delete(c.image);
        c.image = to;
        const id = rw.imageIds?.[to];
        if (id) ids.push(id);
      }
    }
    if (ids.length > 0) child(child(tpl, "metadata"), "annotations")[IMAGE_ID_ANNOTATION] = ids.join(",");
  }
  if (unused.size > 0) throw new Error(`manifest names no container image ${[...unused].join(", ")}: the manifest and the lab disagree`);
  return objs.map((o) => stringify(o)).join("---\n");
}
