// Reads the V8 CPU profile `node --cpu-prof` wrote (bench:ingest -- --cpu-prof) and says where the
// main thread's time went: by area (kafkajs, the ingest pipeline, the ClickHouse client, GC…) and by
// function. Usage alone: tsx bench/ingest-profile.ts <file.cpuprofile | folder> [top]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const AREAS: [string, (url: string, fn: string) => boolean][] = [
  ['idle (waiting for I/O)', (_u, fn) => fn === '(idle)'],
  ['garbage collection', (_u, fn) => fn === '(garbage collector)'],
  ['kafkajs (fetch, decode, protocol)', (u) => u.includes('node_modules/kafkajs')],
  ['ClickHouse client + embedded engine binding', (u) => u.includes('@clickhouse') || u.includes('node_modules/chdb')],
  ['ingest transforms and sink (decode, validate, dedupe, tag, encode, insert)', (u) => /services\/ingest\/(transforms|sinks\/clickhouse)|lib\/clickhouse\/error-events/.test(u)],
  ['ingest worker (batching, write protocol, partitions)', (u) => u.includes('services/ingest')],
  ['catalog / contract', (u) => u.includes('lib/catalog') || u.includes('lib/contract')],
  ['built-ins and generated code (JSON.parse, Buffer, the compiled ajv validator…)', (u) => u.includes('node_modules/ajv') || u === ''],
  ['pino / prom-client', (u) => u.includes('node_modules/pino') || u.includes('node_modules/prom-client')],
  ['node internals', (u) => u.startsWith('node:')],
  ['other', () => true],
];

function findProfile(path: string): string {
  if (!statSync(path).isDirectory()) return path;
  const files = readdirSync(path).filter((f) => f.endsWith('.cpuprofile'));
  // The child that ran the phase writes the biggest profile; tsx's loader threads write small ones.
  const biggest = files.map((f) => join(path, f)).sort((a, b) => statSync(b).size - statSync(a).size)[0];
  if (!biggest) throw new Error(`no .cpuprofile in ${path}`);
  return biggest;
}

export function summarizeCpuProfile(path: string, top = 20): string {
  const file = findProfile(path);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const fn = functionName || '(anonymous)';
    const area = AREAS.find(([, test]) => test(url, fn))![0];
    areas.set(area, (areas.get(area) ?? 0) + us);
    const where = url ? `${url.replace(/^.*\/(node_modules\/|work\/main\/)/, '')}:${lineNumber + 1}` : '(native)';
    const key = `${fn}  ${where}`;
    functions.set(key, (functions.get(key) ?? 0) + us);
    total += us;
  }
  const busy = total - (areas.get('idle (waiting for I/O)') ?? 0);
  const row = (us: number, label: string, of: number) => `${((us / of) * 100).toFixed(1).padStart(5)} %  ${(us / 1e6).toFixed(2).padStart(7)} s  ${label}`;
  const lines = [
    `CPU profile ${file}`,
    `main thread: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (${((busy / total) * 100).toFixed(0)} %)`,
    'by area (share of all samples):',
    ...[...areas.entries()].sort((a, b) => b[1] - a[1]).map(([label, us]) => row(us, label, total)),
    `top ${top} functions by self time (share of busy time):`,
    ...[...functions.entries()]
      .filter(([key]) => !key.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([label, us]) => row(us, label, busy)),
  ];
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('ingest-profile.ts')) {
  const [path, top] = process.argv.slice(2);
  if (!path) {
    process.stderr.write('usage: tsx bench/ingest-profile.ts <file.cpuprofile | folder> [top]\n');
    process.exit(2);
  }
  console.log(summarizeCpuProfile(path, Number(top ?? 25)));
}
