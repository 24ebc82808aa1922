/**
 * docker-compose.yml gives our containers only settings that src/config.ts declares,
 * lets the worker scale (`--scale worker=N`), and has the services the header promises.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseConfig, SETTING_NAMES } from '../../src/config';

const COMPOSE_FILE = path.resolve(__dirname, '../../docker-compose.yml');

type Service = Record<string, unknown>;

function servicesOf(composeText: string): Record<string, Service> {
  const doc = parseYaml(composeText, { merge: true }) as { services?: Record<string, Service> } | null;
  return doc?.services ?? {};
}

/** A service that runs the visionflow image: built here, or an image named visionflow. */
function runsOurImage(service: Service): boolean {
  return service.build !== undefined || (typeof service.image === 'string' && service.image.includes('visionflow'));
}

/** `environment:` as a map, or as a list of `NAME=value` / `NAME` (passed through from the host). */
function environmentOf(serviceName: string, service: Service): Map<string, string | undefined> {
  const env = service.environment;
  const out = new Map<string, string | undefined>();
  if (env === undefined || env === null) return out;
  if (Array.isArray(env)) {
    for (const item of env) {
      const entry = String(item);
      const eq = entry.indexOf('=');
      if (eq === -1) out.set(entry.trim(), undefined);
      else out.set(entry.slice(0, eq).trim(), entry.slice(eq + 1));
    }
    return out;
  }
  if (typeof env === 'object') {
    for (const [name, value] of Object.entries(env as Record<string, unknown>)) {
      out.set(name, value === null || value === undefined ? undefined : String(value));
    }
    return out;
  }
  throw new Error(`${serviceName}: environment must be a map or a list, got ${JSON.stringify(env)}`);
}

/**
 * Every problem with the environment of the services that run our image: a variable
 * that is not in SETTINGS, or an env_file (which would hide what the container gets).
 */
function unknownSettingsInCompose(composeText: string, known: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(servicesOf(composeText))) {
    if (!runsOurImage(service)) continue;
    if (service.env_file !== undefined) {
      problems.push(`${name}: env_file is not allowed; list each setting under environment`);
    }
    for (const variable of environmentOf(name, service).keys()) {
      if (!known.has(variable)) problems.push(`${name}: ${variable} is not a setting declared in SETTINGS (src/config.ts)`);
    }
  }
  return problems;
}

/** What compose substitutes when none of the referenced variables is set: `${X:-d}` -> d, `${X}` -> '', `$$` -> `$`. */
function withComposeDefaults(value: string): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, _braced, op, fallback) => {
    if (match === '$$') return '$';
    return op !== undefined ? fallback : '';
  });
}

function commandText(service: Service): string {
  return [service.entrypoint, service.command].flat().filter((x) => x !== undefined).map(String).join(' ');
}

describe('docker-compose.yml', () => {
  const text = fs.readFileSync(COMPOSE_FILE, 'utf8');
  const services = servicesOf(text);
  const worker = services.worker;

  test('services that run our image set only SETTINGS names, and no env_file', () => {
    const ours = Object.keys(services).filter((name) => runsOurImage(services[name]));
    expect(ours).toContain('worker');
    expect(unknownSettingsInCompose(text, SETTING_NAMES)).toEqual([]);
  });

  test('the check reports unknown variables (map and list form) and env_file', () => {
    const sample = [
      'services:',
      '  worker:',
      '    build: .',
      '    environment:',
      '      TEMPORAL_ADDRESS: temporal:7233',
      '      VISIONFLOW_TYPO: "1"',
      '  cli:',
      '    image: ghcr.io/acme/visionflow:1.0',
      '    env_file: .env',
      '    environment:',
      '      - S3_ENDPOINT=http://minio:9000',
      '      - NOT_A_SETTING=x',
      '      - PASSED_THROUGH',
      '  minio:',
      '    image: minio/minio',
      '    environment:',
      '      MINIO_ROOT_USER: ignored-not-our-image',
    ].join('\n');
    expect(unknownSettingsInCompose(sample, SETTING_NAMES)).toEqual([
      'worker: VISIONFLOW_TYPO is not a setting declared in SETTINGS (src/config.ts)',
      'cli: env_file is not allowed; list each setting under environment',
      'cli: NOT_A_SETTING is not a setting declared in SETTINGS (src/config.ts)',
      'cli: PASSED_THROUGH is not a setting declared in SETTINGS (src/config.ts)',
    ]);
  });

  test('has Temporal, its UI, MinIO and a service that creates the bucket', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['temporal', 'minio', 'worker']));
    const ui = services['temporal-ui'] ?? services.ui;
    expect(ui).toBeDefined();
    expect(ui.ports).toEqual(expect.arrayContaining([expect.stringMatching(/^8080:8080$/)]));
    const bucketMakers = Object.keys(services).filter((name) => /\bmc mb\b/.test(commandText(services[name])));
    expect(bucketMakers).toHaveLength(1);
  });

  test('the worker can scale: no container_name, no host ports', () => {
    expect(worker).toBeDefined();
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
  });

  test('the worker starts after Temporal and after the bucket exists', () => {
    const bucketMaker = Object.keys(services).find((name) => /\bmc mb\b/.test(commandText(services[name])));
    const dependsOn = worker.depends_on as Record<string, { condition?: string }>;
    expect(Object.keys(dependsOn)).toContain('temporal');
    expect(dependsOn[bucketMaker as string]).toEqual({ condition: 'service_completed_successfully' });
  });

  test('with compose defaults, the worker environment is a valid config pointing at the stack', () => {
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of environmentOf('worker', worker)) env[name] = value === undefined ? undefined : withComposeDefaults(value);
    const config = parseConfig(env, '/app');
    expect(config.temporal.address).toBe('temporal:7233');
    expect(config.s3).toMatchObject({ endpoint: 'http://minio:9000', forcePathStyle: true });
    expect(config.storage).toMatch(/^s3:\/\//);

    // The bucket the worker writes to is the one the one-shot service creates.
    const bucket = /^s3:\/\/([^/]+)/.exec(config.storage)?.[1];
    const bucketMaker = Object.values(services).find((s) => /\bmc mb\b/.test(commandText(s)));
    expect(commandText(bucketMaker as Service)).toMatch(new RegExp(`mc mb --ignore-existing \\S+/${bucket}\\b`));

    // Its S3 keys are MinIO's root credentials (same interpolation, same defaults).
    const minioEnv = environmentOf('minio', services.minio);
    const workerEnv = environmentOf('worker', worker);
    expect(workerEnv.get('AWS_ACCESS_KEY_ID')).toBe(minioEnv.get('MINIO_ROOT_USER'));
    expect(workerEnv.get('AWS_SECRET_ACCESS_KEY')).toBe(minioEnv.get('MINIO_ROOT_PASSWORD'));
  });

  test('compose-default substitution handles the forms the file uses', () => {
    expect(withComposeDefaults('${A:-x}/${B-y}/${C}/$D/$$E')).toBe('x/y///$E');
  });
});
