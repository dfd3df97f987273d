// A V8 CPU profile of the measured window only (not startup or connection set-up), written in the
// .cpuprofile format that --cpu-prof writes, so Chrome DevTools and bench/profile.ts read it.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";

let session: Session | undefined;

function post(method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) =>
    session!.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
  );
}

export async function startProfile(): Promise<void> {
  session = new Session();
  session.connect();
  await post("Profiler.enable");
  // 200 µs between samples: fine enough for µs-scale hot paths, cheap enough not to skew them much.
  await post("Profiler.setSamplingInterval", { interval: 200 });
  await post("Profiler.start");
}

export async function stopProfile(path: string): Promise<void> {
  if (!session) return;
  const { profile } = (await post("Profiler.stop")) as { profile: unknown };
  session.disconnect();
  session = undefined;
  writeFileSync(path, JSON.stringify(profile));
}
