// What the lab tests share: one GET with a Host header that reports the status and the pod that answered,
// and a bounded wait for the first 200 (routes take a moment after a deploy). Traffic only to 127.0.0.1
// and to the kind network's addresses on this machine.
import { request } from "node:http";

export interface Answer { status: number; pod: string | undefined }

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function get(host: string, port: number, hostHeader?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: "/", headers: { ...(hostHeader ? { host: hostHeader } : {}), "x-lossless-seq": "1" }, timeout: 5000 }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, pod: res.headers["x-lossless-pod"] as string | undefined }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

/** The first 200 within `tries` attempts a second apart. */
export async function firstOk(host: string, port: number, hostHeader?: string, tries = 90): Promise<Answer> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      const a = await get(host, port, hostHeader);
      if (a.status === 200) return a;
      last = `HTTP ${a.status}`;
    } catch (err) {
      last = err;
    }
    await sleep(1000);
  }
  throw new Error(`no 200 from ${host}:${port} (Host ${hostHeader ?? "-"}) in ${tries} tries; last: ${String(last)}`);
}
