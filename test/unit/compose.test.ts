// No Docker engine runs where these tests run, so the compose stack and the Dockerfile are checked
// statically: the file parses, images are pinned, mounts exist, errpulse gets only variables it knows
// (with values it accepts), and every host:port one container uses to reach another is really served.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CLICKHOUSE_PLUGIN_VERSION } from '../../dashboards/src/datasources.js';
import { ENV_VARS, loadConfig } from '../../lib/config.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const COMPOSE_FILE = join(ROOT, 'infra/docker-compose.yml');
const COMPOSE_DIR = dirname(COMPOSE_FILE);

interface HealthCheck {
  test: string | string[];
}
interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string } | string;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: Array<string | { published: string | number; target: number; host_ip?: string }>;
  volumes?: Array<string | { type: string; source?: string; target: string }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: HealthCheck;
  profiles?: string[];
  restart?: string;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as ComposeFile;
const services = Object.entries(compose.services);

/** Compose's `${NAME:-default}` as `docker compose up` resolves it with nothing set in the shell. */
function interpolate(value: string): string {
  return value.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (whole, name: string, fallback?: string) => {
    if (fallback === undefined) throw new Error(`${whole} has no default; \`docker compose up\` would need it set`);
    return fallback;
  });
}

function environment(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  const pairs = Array.isArray(env) ? env.map((e) => e.split(/=(.*)/s, 2) as [string, string]) : Object.entries(env).map(([k, v]) => [k, String(v ?? '')] as const);
  return Object.fromEntries(pairs.map(([k, v]) => [k, interpolate(v ?? '')]));
}

const buildContext = (s: Service) => (typeof s.build === 'string' ? s.build : s.build?.context);
/** The services that run errpulse itself: built from this repository. */
const errpulseServices = services.filter(([, s]) => buildContext(s) !== undefined && resolve(COMPOSE_DIR, buildContext(s)!) === resolve(ROOT));

function dependsOn(s: Service): Record<string, string | undefined> {
  if (!s.depends_on) return {};
  if (Array.isArray(s.depends_on)) return Object.fromEntries(s.depends_on.map((d) => [d, undefined]));
  return Object.fromEntries(Object.entries(s.depends_on).map(([d, spec]) => [d, spec.condition]));
}

/** Ports each service listens on inside the network. */
const DEFAULT_PORTS: Readonly<Record<string, number[]>> = {
  'clickhouse/clickhouse-server': [8123, 9000],
  'prom/prometheus': [9090],
  'prom/alertmanager': [9093],
  'grafana/grafana': [3000],
};
function listeningPorts(name: string, s: Service): Set<number> {
  const ports = new Set<number>();
  const repo = s.image?.split(':')[0] ?? '';
  for (const p of DEFAULT_PORTS[repo] ?? []) ports.add(p);
  const env = environment(s);
  for (const m of (env.KAFKA_LISTENERS ?? '').matchAll(/:(\d+)(?:,|$)/g)) ports.add(Number(m[1]));
  if (errpulseServices.some(([n]) => n === name)) {
    const config = loadConfig(env);
    if (/\bapi\b/.test(String(s.command))) ports.add(config.api.port);
    if (/\bingest\b/.test(String(s.command))) ports.add(config.ingest.metricsPort);
    if (/\balerts\b/.test(String(s.command))) ports.add(config.alerts.metricsPort);
  }
  return ports;
}

function expectServed(hostPort: string, where: string): void {
  const m = /^([\w.-]+):(\d+)$/.exec(hostPort);
  expect(m, `${where}: ${hostPort} is not host:port`).not.toBeNull();
  const [, host, port] = m!;
  const target = compose.services[host!];
  expect(target, `${where}: ${hostPort} names no service`).toBeDefined();
  expect([...listeningPorts(host!, target!)], `${where}: service ${host} does not listen on ${port}`).toContain(Number(port));
}

describe('infra/docker-compose.yml', () => {
  it('parses and runs the whole pipeline', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['alertmanager', 'alerts', 'api', 'clickhouse', 'grafana', 'ingest', 'kafka', 'kafka-init', 'migrate', 'prometheus', 'simulator'].sort(),
    );
    expect(compose.services.simulator!.profiles).toEqual(['simulator']);
  });

  it('pins every image to a version', () => {
    for (const [name, s] of services) {
      if (buildContext(s) !== undefined) continue;
      const image = s.image ?? '';
      const tag = /:([^/:@]+)(@sha256:[0-9a-f]{64})?$/.exec(image)?.[1];
      expect(tag, `${name}: image ${JSON.stringify(image)} has no tag`).toBeDefined();
      expect(tag, `${name}: image ${image}`).not.toBe('latest');
      expect(tag, `${name}: image ${image} should name a release, not a moving major`).toMatch(/\d+\.\d+/);
    }
  });

  it('mounts only files and folders that exist in the repository', () => {
    let mounts = 0;
    for (const [name, s] of services) {
      for (const v of s.volumes ?? []) {
        const source = typeof v === 'string' ? v.split(':')[0]! : (v.source ?? '');
        if (!source.startsWith('.') && !source.startsWith('/')) continue;
        mounts++;
        expect(existsSync(resolve(COMPOSE_DIR, source)), `${name}: ${source} does not exist`).toBe(true);
      }
      const context = buildContext(s);
      if (context !== undefined) {
        const dockerfile = typeof s.build === 'object' ? (s.build.dockerfile ?? 'Dockerfile') : 'Dockerfile';
        expect(existsSync(resolve(COMPOSE_DIR, context, dockerfile)), `${name}: no ${dockerfile} in ${context}`).toBe(true);
      }
    }
    expect(mounts).toBeGreaterThan(0);
  });

  it('declares every named volume it uses, and uses every one it declares', () => {
    const used = new Set<string>();
    for (const [, s] of services) {
      for (const v of s.volumes ?? []) {
        const source = typeof v === 'string' ? v.split(':')[0]! : (v.source ?? '');
        if (/^[A-Za-z0-9][\w.-]*$/.test(source)) used.add(source);
      }
    }
    expect([...used].sort()).toEqual(Object.keys(compose.volumes ?? {}).sort());
  });

  it('gives errpulse only variables lib/config.ts knows, with values it accepts', () => {
    expect(errpulseServices.map(([n]) => n).sort()).toEqual(['alerts', 'api', 'ingest', 'migrate', 'simulator']);
    for (const [name, s] of errpulseServices) {
      const env = environment(s);
      for (const key of Object.keys(env)) expect(Object.keys(ENV_VARS), `${name}: ${key} is not an errpulse variable`).toContain(key);
      expect(() => loadConfig(env), name).not.toThrow();
      // In a container the embedded engine is neither shipped nor wanted: every service uses the server.
      expect(loadConfig(env).clickhouse.url, name).toBeDefined();
      expect(loadConfig(env).kafka.localBroker, name).toBe(false);
    }
  });

  it('points errpulse at services and ports that exist', () => {
    for (const [name, s] of errpulseServices) {
      const config = loadConfig(environment(s));
      for (const broker of config.kafka.brokers) expectServed(broker, `${name} KAFKA_BROKERS`);
      const url = new URL(config.clickhouse.url!);
      expectServed(`${url.hostname}:${url.port}`, `${name} CLICKHOUSE_URL`);
      if (config.alerts.alertmanagerUrl) {
        const am = new URL(config.alerts.alertmanagerUrl);
        expectServed(`${am.hostname}:${am.port}`, `${name} ALERTMANAGER_URL`);
      }
    }
  });

  it('creates exactly the topics errpulse uses', () => {
    const init = compose.services['kafka-init']!;
    const script = [init.entrypoint, init.command].flat().join(' ');
    const created = /for topic in ([^;]+);/.exec(script)?.[1]?.trim().split(/\s+/);
    const used = new Set(errpulseServices.flatMap(([, s]) => [loadConfig(environment(s)).kafka.topic, loadConfig(environment(s)).kafka.dlqTopic]));
    expect(new Set(created)).toEqual(used);
    for (const m of script.matchAll(/--bootstrap-server ([\w.-]+:\d+)/g)) expectServed(m[1]!, 'kafka-init');
  });

  it('only lets a service wait for services that exist, with conditions they can meet', () => {
    for (const [name, s] of services) {
      for (const [target, condition] of Object.entries(dependsOn(s))) {
        const dep = compose.services[target];
        expect(dep, `${name} depends on unknown service ${target}`).toBeDefined();
        // A service that always runs cannot wait for one that only runs in a profile.
        if (dep!.profiles?.length) expect(s.profiles, `${name} depends on ${target}, which only runs in profile ${dep!.profiles.join(', ')}`).toEqual(dep!.profiles);
        expect(condition, `${name} → ${target}: say which condition`).toMatch(/^service_(healthy|completed_successfully|started)$/);
        if (condition === 'service_healthy') expect(dep!.healthcheck, `${name} waits for ${target} to be healthy, which has no healthcheck`).toBeDefined();
        if (condition === 'service_completed_successfully') expect(dep!.restart, `${target} is a one-shot and must not restart`).toBe('no');
      }
    }
  });

  it('gives every long-running service a healthcheck', () => {
    for (const [name, s] of services) {
      if (s.restart === 'no') continue;
      expect(s.healthcheck, `${name} has no healthcheck`).toBeDefined();
    }
  });

  it('binds host ports to 127.0.0.1 and gives each its own', () => {
    const published: string[] = [];
    for (const [name, s] of services) {
      for (const p of s.ports ?? []) {
        const text = typeof p === 'string' ? p : `${p.host_ip ?? ''}:${p.published}:${p.target}`;
        expect(text, `${name}: port ${text} must be bound to 127.0.0.1`).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
        const [, host, container] = text.split(':');
        published.push(host!);
        expect([...listeningPorts(name, s)], `${name} publishes ${container}, which it does not listen on`).toContain(Number(container));
      }
    }
    expect(new Set(published).size).toBe(published.length);
  });

  it('publishes the agreed ports', () => {
    const hostPort = (service: string) => (compose.services[service]!.ports ?? []).map((p) => String(p).split(':')[1]);
    expect(hostPort('api')).toEqual(['8080']);
    expect(hostPort('ingest')).toEqual(['9464']);
    expect(hostPort('alerts')).toEqual(['9465']);
    expect(hostPort('kafka')).toEqual(['9092']);
    expect(hostPort('clickhouse')).toEqual(['8123']);
    expect(hostPort('grafana')).toEqual(['3000']);
    expect(hostPort('prometheus')).toEqual(['9090']);
    expect(hostPort('alertmanager')).toEqual(['9093']);
  });
});

describe('Grafana in the stack', () => {
  const grafana = compose.services.grafana!;
  const env = environment(grafana);
  const provisioningDir = join(COMPOSE_DIR, 'grafana/provisioning');
  const provisioningFiles = readdirSync(provisioningDir, { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile() && /\.ya?ml$/.test(f.name))
    .map((f) => join(f.parentPath, f.name));
  const load = (sub: string) =>
    provisioningFiles.filter((f) => f.startsWith(join(provisioningDir, sub))).map((f) => parse(readFileSync(f, 'utf8')) as Record<string, unknown>);

  it('installs the ClickHouse plugin at the version the dashboards are written for, or later', () => {
    // <plugin id>@<version>, installed before Grafana starts.
    const [plugin, version] = (env.GF_PLUGINS_PREINSTALL_SYNC ?? '').split('@');
    expect(plugin).toBe('grafana-clickhouse-datasource');
    const parts = (v: string) => v.split('.').map(Number);
    const [have, need] = [parts(version ?? ''), parts(CLICKHOUSE_PLUGIN_VERSION)];
    const cmp = have.map((n, i) => n - need[i]!).find((d) => d !== 0) ?? 0;
    expect(cmp, `plugin ${version} is older than ${CLICKHOUSE_PLUGIN_VERSION}`).toBeGreaterThanOrEqual(0);
  });

  it('sets every variable the provisioning files refer to', () => {
    expect(provisioningFiles.length).toBeGreaterThan(0);
    // Grafana expands $NAME and ${NAME} in provisioning files ($$ escapes), except in alert rules, whose
    // queries keep macros such as $__timeFilter as they are.
    const expanded = provisioningFiles.filter((f) => (parse(readFileSync(f, 'utf8')) as { groups?: unknown }).groups === undefined);
    for (const file of expanded) {
      for (const m of readFileSync(file, 'utf8').matchAll(/(?<!\$)\$(?!\$)\{?([A-Za-z_]\w*)\}?/g)) expect(Object.keys(env), `${file} uses $${m[1]}`).toContain(m[1]);
    }
  });

  it('points the data sources and contact points at services that serve them, with errpulse’s database and user', () => {
    const errpulse = loadConfig(environment(compose.services.api!)).clickhouse;
    const sources = load('datasources').flatMap((f) => f.datasources as Array<{ type: string; url?: string; jsonData?: Record<string, unknown> }>);
    expect(sources.map((d) => d.type).sort()).toEqual(['grafana-clickhouse-datasource', 'prometheus']);
    for (const d of sources) {
      if (d.url) expectServed(new URL(d.url).host, `data source ${d.type}`);
      if (d.jsonData?.host) {
        expectServed(`${String(d.jsonData.host)}:${String(d.jsonData.port)}`, `data source ${d.type}`);
        expect(d.jsonData.defaultDatabase).toBe(errpulse.database);
        expect(String(d.jsonData.username).replace(/\$\{(\w+)\}/, (_, n: string) => env[n] ?? '')).toBe(errpulse.user);
      }
    }
    const urls = load('alerting').flatMap((f) => ((f.contactPoints as Array<{ receivers: Array<{ settings: { url?: string } }> }>) ?? []).flatMap((c) => c.receivers.map((r) => r.settings.url)));
    for (const url of urls.filter((u): u is string => u !== undefined)) expectServed(new URL(url).host, 'contact point');
  });

  it('mounts the generated dashboards where the provider reads them', () => {
    const providers = load('dashboards').flatMap((f) => f.providers as Array<{ options: { path: string } }>);
    expect(providers.length).toBeGreaterThan(0);
    for (const provider of providers) {
      const mount = (grafana.volumes ?? []).map(String).find((v) => v.split(':')[1] === provider.options.path);
      expect(mount, `nothing is mounted at ${provider.options.path}`).toBeDefined();
      const dir = resolve(COMPOSE_DIR, mount!.split(':')[0]!);
      expect(readdirSync(dir).filter((f) => f.endsWith('.json')).length, `${dir} holds no dashboards`).toBeGreaterThan(0);
    }
  });

  it('gives ClickHouse the same credentials errpulse and Grafana use', () => {
    const server = environment(compose.services.clickhouse!);
    const errpulse = loadConfig(environment(compose.services.ingest!)).clickhouse;
    expect([server.CLICKHOUSE_USER, server.CLICKHOUSE_PASSWORD]).toEqual([errpulse.user, errpulse.password]);
    expect([env.CLICKHOUSE_USER, env.CLICKHOUSE_PASSWORD]).toEqual([errpulse.user, errpulse.password]);
  });
});

describe('infra/prometheus/prometheus.yml', () => {
  const prometheus = parse(readFileSync(join(ROOT, 'infra/prometheus/prometheus.yml'), 'utf8')) as {
    rule_files: string[];
    alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
    scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
  };

  it('scrapes the ingest worker, the API and the alert evaluator where they serve /metrics', () => {
    const targets = prometheus.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
    expect(targets).toEqual(expect.arrayContaining(['ingest:9464', 'api:8080', 'alerts:9465']));
    for (const t of targets.filter((t) => !t.startsWith('127.0.0.1:'))) expectServed(t, 'prometheus scrape target');
  });

  it('sends alerts to the Alertmanager service', () => {
    for (const t of prometheus.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((s) => s.targets))) expectServed(t, 'prometheus alerting');
  });

  it('loads rule files that exist in the mounted rules folder', () => {
    const mount = compose.services.prometheus!.volumes!.map(String).find((v) => v.includes(':/etc/prometheus/rules'))!;
    const rulesDir = resolve(COMPOSE_DIR, mount.split(':')[0]!);
    for (const pattern of prometheus.rule_files) {
      expect(pattern.startsWith('/etc/prometheus/rules/')).toBe(true);
      const suffix = pattern.slice(pattern.lastIndexOf('*') + 1);
      const files = readdirSync(rulesDir).filter((f) => f.endsWith(suffix) && statSync(join(rulesDir, f)).isFile());
      expect(files.length, `${pattern} matches no file in ${rulesDir}`).toBeGreaterThan(0);
      // A promtool test file is not a rule file; Prometheus would refuse to start on it.
      for (const f of files) expect((parse(readFileSync(join(rulesDir, f), 'utf8')) as { groups?: unknown }).groups, f).toBeDefined();
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const lines = dockerfile.split('\n').filter((l) => !l.trimStart().startsWith('#'));
  const args = Object.fromEntries([...dockerfile.matchAll(/^ARG (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const finalStage = stages.at(-1)!;

  it('builds in stages from a pinned base image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const from of lines.filter((l) => l.startsWith('FROM '))) {
      const image = from.split(/\s+/)[1]!.replace(/\$\{(\w+)\}/g, (_, name: string) => args[name] ?? '');
      if (stages.some((s) => new RegExp(`AS ${image}\\b`).test(s.split('\n')[0]!))) continue;
      expect(image).toMatch(/^[\w./-]+:\d+\.\d+\.\d+[\w.-]*$/);
    }
  });

  it('runs as a non-root user with production dependencies only', () => {
    expect(finalStage).toMatch(/^USER (?!root\b|0\b)\w+/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    const fromStages = [...finalStage.matchAll(/COPY --from=([\w-]+) (\S+)/g)].map((m) => [m[1], m[2]]);
    expect(fromStages).toContainEqual(['production-deps', '/app/node_modules']);
  });

  it('sets only variables lib/config.ts knows', () => {
    const env = [...finalStage.matchAll(/^ENV ((?:.|\\\n)+)$/gm)].flatMap((m) => [...m[1]!.matchAll(/(\w+)=/g)].map((x) => x[1]!));
    for (const name of env.filter((n) => n !== 'NODE_ENV')) expect(Object.keys(ENV_VARS)).toContain(name);
  });

  it('copies into the image every file it names, and leaves tests and local data out of the build context', () => {
    for (const m of finalStage.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of m[1]!.split(/\s+/)) expect(existsSync(join(ROOT, source)), source).toBe(true);
    }
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const path of ['node_modules', '.data', 'test', '.git', 'dist']) expect(ignored).toContain(path);
  });

  it('holds every file the CLI needs at run time: its final stage, laid out from this checkout, runs every command', () => {
    if (!existsSync(join(ROOT, 'dist/cli/errpulse.js'))) throw new Error('dist/ is missing: run `npm run build` first (`npm test` does)');
    const image = mkdtempSync(join(tmpdir(), 'errpulse-image-'));
    try {
      for (const m of finalStage.matchAll(/^COPY (--from=[\w-]+ )?(.+) (\S+)$/gm)) {
        const fromStage = m[1] !== undefined;
        const sources = m[2]!.split(/\s+/);
        const dest = m[3]!;
        for (const source of sources) {
          // The build stages work in /app on a copy of this checkout; their node_modules stand in for the pruned one.
          const from = fromStage ? join(ROOT, source.replace(/^\/app\//, '')) : join(ROOT, source);
          const to = dest.endsWith('/') ? join(image, dest, basename(source)) : join(image, dest);
          mkdirSync(dirname(to), { recursive: true });
          if (basename(from) === 'node_modules') symlinkSync(from, to);
          else cpSync(from, to, { recursive: true });
        }
      }
      // The top-level help loads every command module, so a file one of them reads on load must be there.
      const help = execFileSync(process.execPath, ['bin/errpulse.js', '--help'], { cwd: image, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
      for (const command of ['migrate', 'ingest', 'api', 'simulate', 'token']) expect(help).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
      const migrations = execFileSync(process.execPath, ['--input-type=module', '-e', "const m = await import('./dist/lib/clickhouse/migrate.js'); console.log(m.loadMigrations().length)"], {
        cwd: image,
        encoding: 'utf8',
      });
      expect(Number(migrations)).toBe(readdirSync(join(ROOT, 'lib/clickhouse/migrations')).filter((f) => f.endsWith('.sql')).length);
    } finally {
      rmSync(image, { recursive: true, force: true });
    }
  }, 30_000);
});
