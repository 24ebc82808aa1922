/**
 * A stand-in Amazon Rekognition (Custom Labels) endpoint on 127.0.0.1 for tests that
 * drive the real `@aws-sdk/client-rekognition` client. It speaks the service's
 * awsJson1_1 protocol as botocore's model describes it
 * (botocore/data/rekognition/2016-06-27/service-2.json: protocol "json", jsonVersion
 * "1.1", targetPrefix "RekognitionService", SigV4 signing name "rekognition"):
 *
 *   POST /   Content-Type: application/x-amz-json-1.1
 *            X-Amz-Target: RekognitionService.<Operation>
 *            Authorization: AWS4-HMAC-SHA256 Credential=<key id>/<date>/<region>/rekognition/aws4_request, ...
 *   200      application/x-amz-json-1.1, the operation's output shape as JSON
 *   4xx/5xx  application/x-amz-json-1.1, x-amzn-errortype: <Name>,
 *            {"__type": "<Name>", "Code": "<Name>", "Logref": "<uuid>", "Message": "..."}
 *            (Message/Code/Logref are the members the AWS SDK's schema gives every
 *            Rekognition error). Status 500 for the model's server faults
 *            (InternalServerError, ThrottlingException: "fault": true in botocore),
 *            400 for every client error, 403 when the request is not signed.
 *
 * Blobs travel base64 in JSON, timestamps as epoch seconds (JSON numbers, with ms).
 * Any SigV4 Authorization header is accepted (signatures are not checked); its access
 * key id, region and service are recorded with each request.
 *
 * Operations (shapes as in the model; anything else answers UnknownOperationException):
 *   CreateProject            {ProjectName}                      -> {ProjectArn}
 *   DescribeProjects         {ProjectNames?, MaxResults?, NextToken?} -> {ProjectDescriptions, NextToken?}
 *   CreateDataset            {ProjectArn, DatasetType, DatasetSource?: {GroundTruthManifest: {S3Object}} | {DatasetArn}} -> {DatasetArn}
 *   CreateProjectVersion     {ProjectArn, VersionName, OutputConfig, TrainingData?, TestingData?} -> {ProjectVersionArn}
 *   DescribeProjectVersions  {ProjectArn, VersionNames?, MaxResults?, NextToken?} -> {ProjectVersionDescriptions, NextToken?}
 *   StartProjectVersion      {ProjectVersionArn, MinInferenceUnits, MaxInferenceUnits?} -> {Status}
 *   StopProjectVersion       {ProjectVersionArn}                -> {Status}
 *   DetectCustomLabels       {ProjectVersionArn, Image: {Bytes} | {S3Object}, MinConfidence?, MaxResults?} -> {CustomLabels}
 *
 * ARNs (patterns from the model), account 123456789012, region us-east-1:
 *   project  arn:aws:rekognition:us-east-1:123456789012:project/<name>/<creation ms>
 *   version  arn:aws:rekognition:us-east-1:123456789012:project/<name>/version/<version>/<creation ms>
 *   dataset  arn:aws:rekognition:us-east-1:123456789012:project/<name>/dataset/<train|test>/<creation ms>
 *
 * Model state machine, one per version ARN:
 *   CreateProjectVersion -> TRAINING_IN_PROGRESS -(trainDelayMs)-> TRAINING_COMPLETED | TRAINING_FAILED
 *   StartProjectVersion (from TRAINING_COMPLETED, STOPPED or FAILED) -> STARTING -(startDelayMs)-> RUNNING,
 *     or FAILED with StatusMessage when the version is set to fail on start
 *   StopProjectVersion (from RUNNING) -> STOPPING -(stopDelayMs)-> STOPPED
 *   Start on STARTING/RUNNING/STOPPING/TRAINING_IN_PROGRESS and Stop on anything but RUNNING
 *   answer ResourceInUseException; Start on TRAINING_FAILED answers InvalidParameterException;
 *   DetectCustomLabels on a version that is not RUNNING answers ResourceNotReadyException.
 * The billing clock counts RUNNING time only, times MinInferenceUnits (no auto-scaling).
 *
 * Datasets read their Ground Truth manifest through `options.s3Reader` when CreateDataset is
 * called (as the service copies it then); a missing object answers InvalidParameterException.
 * Each read is kept in `standIn.manifests`. Training fails (TRAINING_FAILED) when the TRAIN
 * manifest has no valid JSON line with a "source-ref"; `options.training` can decide instead.
 *
 * Usage:
 *   const rek = await startRekognitionStandIn({ s3Reader, startDelayMs: 100 });
 *   const arn = rek.addVersion({ projectName: 'logos', versionName: 'v1', status: 'TRAINING_COMPLETED' });
 *   rek.setDetections(arn, (image) => (image.name?.includes('logo') ? [label] : []));
 *   const client = new RekognitionClient({ endpoint: rek.url, region: 'us-east-1', credentials });
 *   rek.faults = { throttle: [{ op: 'DetectCustomLabels', times: 2 }] };
 *   rek.billing(arn); rek.status(arn); await rek.close();
 */
import { closeServer, readBody } from './loopback-server';
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';

export const REKOGNITION_REGION = 'us-east-1';
export const REKOGNITION_ACCOUNT = '123456789012';
const ARN_PREFIX = `arn:aws:rekognition:${REKOGNITION_REGION}:${REKOGNITION_ACCOUNT}:project/`;
const JSON_TYPE = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'RekognitionService.';

// Patterns from the model's ProjectArn, ProjectVersionArn, DatasetArn, ProjectName and VersionName shapes.
const PROJECT_ARN = /^arn:[a-z\d-]+:rekognition:[a-z\d-]+:\d{12}:project\/[a-zA-Z0-9_.-]{1,255}\/[0-9]+$/;
const VERSION_ARN = /^arn:[a-z\d-]+:rekognition:[a-z\d-]+:\d{12}:project\/[a-zA-Z0-9_.-]{1,255}\/version\/[a-zA-Z0-9_.-]{1,255}\/[0-9]+$/;
const DATASET_ARN = /^arn:[a-z\d-]+:rekognition:[a-z\d-]+:\d{12}:project\/[a-zA-Z0-9_.-]{1,255}\/dataset\/(train|test)\/[0-9]+$/;
const NAME = /^[a-zA-Z0-9_.-]{1,255}$/;

/** Largest Image.Bytes DetectCustomLabels takes (the model: "the maximum image size you can pass to DetectCustomLabels is 4MB"). */
const MAX_BYTES_IMAGE = 4 * 1024 * 1024;
/** Largest S3 image Rekognition image operations take (guessed from the service's published quotas). */
const MAX_S3_IMAGE = 15 * 1024 * 1024;

export type RekognitionOperation =
  | 'CreateProject'
  | 'DescribeProjects'
  | 'CreateDataset'
  | 'CreateProjectVersion'
  | 'DescribeProjectVersions'
  | 'StartProjectVersion'
  | 'StopProjectVersion'
  | 'DetectCustomLabels';

const OPERATIONS: RekognitionOperation[] = [
  'CreateProject',
  'DescribeProjects',
  'CreateDataset',
  'CreateProjectVersion',
  'DescribeProjectVersions',
  'StartProjectVersion',
  'StopProjectVersion',
  'DetectCustomLabels',
];

/** ProjectVersionStatus values this stand-in uses (the model's enum has copy/deprecation states too). */
export type ProjectVersionStatus = 'TRAINING_IN_PROGRESS' | 'TRAINING_COMPLETED' | 'TRAINING_FAILED' | 'STARTING' | 'RUNNING' | 'FAILED' | 'STOPPING' | 'STOPPED';

/** The CustomLabel shape of the model. */
export interface CustomLabel {
  Name: string;
  /** 0-100. */
  Confidence: number;
  Geometry?: {
    BoundingBox?: { Width: number; Height: number; Left: number; Top: number };
    Polygon?: { X: number; Y: number }[];
  };
}

/** What a detection function sees: the S3 reference and/or the bytes (S3 bytes when an s3Reader is set). */
export interface DetectionImage {
  bucket?: string;
  name?: string;
  version?: string;
  bytes?: Buffer;
}

export type DetectionFunction = (image: DetectionImage) => CustomLabel[] | Promise<CustomLabel[]>;

export interface RecordedDetection {
  projectVersionArn: string;
  image: DetectionImage;
  minConfidence?: number;
  maxResults?: number;
  /** What the stand-in answered, after MinConfidence, ordering and MaxResults. */
  returned: CustomLabel[];
}

/** A manifest the stand-in read through `s3Reader`. */
export interface ManifestRead {
  bucket: string;
  key: string;
  /** Which dataset or training input it was read for. */
  purpose: 'TRAIN' | 'TEST';
  datasetArn?: string;
  /** undefined when no s3Reader was given (the object is then taken as present). */
  body?: string;
  /** Non-empty lines, and those that are JSON objects with a string "source-ref". */
  lines: number;
  validLines: number;
  /** 1-based numbers of non-empty lines that are not valid. */
  invalidLines: number[];
}

export interface TrainingJob {
  projectArn: string;
  projectName: string;
  versionName: string;
  projectVersionArn: string;
  outputConfig: { S3Bucket: string; S3KeyPrefix?: string };
  train: ManifestRead[];
  test: ManifestRead[];
}

/** How a training ends: completed with an F1 score, or failed with a StatusMessage. */
export type TrainingOutcome = { f1Score?: number; billableTrainingSeconds?: number } | { fail: string };

export interface RekognitionFaults {
  /** The next `times` calls of `op` ('*' = any operation) answer a throttling error (default ThrottlingException, 500). */
  throttle?: { op: RekognitionOperation | '*'; times: number; error?: 'ThrottlingException' | 'ProvisionedThroughputExceededException' }[];
  /** The next `times` calls of `op` answer `error` (status from the model: 500 for server faults, else 400, unless `status`). */
  fail?: { op: RekognitionOperation | '*'; times: number; error: string; message?: string; status?: number }[];
  /** Wait before answering: one figure for every operation, or per operation ('*' for the rest). */
  latencyMs?: number | Partial<Record<RekognitionOperation | '*', number>>;
}

export interface RekognitionStandInOptions {
  /** Reads S3 objects (manifests, S3Object images); undefined = no such object. Tests pass one that reads MinIO. */
  s3Reader?: (bucket: string, key: string) => Promise<Buffer | undefined>;
  /** STARTING -> RUNNING (or FAILED), default 300. */
  startDelayMs?: number;
  /** STOPPING -> STOPPED, default 300. */
  stopDelayMs?: number;
  /** TRAINING_IN_PROGRESS -> TRAINING_COMPLETED | TRAINING_FAILED, default 300. */
  trainDelayMs?: number;
  /** F1Score of a completed training when `training` does not say, default 0.9. */
  f1Score?: number;
  /** Decides how a training ends; default: fails when the TRAIN manifest has no valid line, else completes. */
  training?: (job: TrainingJob) => TrainingOutcome;
  /** Detections of versions without their own function; default none. */
  detections?: DetectionFunction;
  /** Versions that may be STARTING or RUNNING at once; more answers LimitExceededException. Default unlimited. */
  maxRunningModels?: number;
  faults?: RekognitionFaults;
}

export interface AddVersionOptions {
  projectName: string;
  versionName: string;
  /** Default TRAINING_COMPLETED. RUNNING starts the billing clock now. */
  status?: 'TRAINING_COMPLETED' | 'TRAINING_FAILED' | 'STOPPED' | 'RUNNING' | 'FAILED';
  /** MinInferenceUnits when added as RUNNING, default 1. */
  inferenceUnits?: number;
  /** Every start of this version ends FAILED with this StatusMessage (true: a default message). */
  failOnStart?: boolean | string;
  f1Score?: number;
  detections?: DetectionFunction;
}

export interface RecordedRekognitionRequest {
  /** The operation named by X-Amz-Target, '' when absent. */
  op: string;
  target: string;
  contentType: string;
  /** The parsed JSON body (undefined when it did not parse). */
  body: Record<string, unknown> | undefined;
  /** From the SigV4 Credential scope; undefined when the request was not signed. */
  accessKeyId?: string;
  region?: string;
  service?: string;
  /** Response status, 0 while pending; errorType for error answers. */
  status: number;
  errorType?: string;
}

export interface ModelBilling {
  /** Milliseconds spent RUNNING, the current stretch included. */
  runningMs: number;
  /** Sum of RUNNING time x MinInferenceUnits, in hours. */
  inferenceUnitHours: number;
  /** Accepted StartProjectVersion / StopProjectVersion calls. */
  starts: number;
  stops: number;
}

export interface ModelSnapshot {
  projectVersionArn: string;
  projectArn: string;
  projectName: string;
  versionName: string;
  status: ProjectVersionStatus;
  statusMessage: string;
  minInferenceUnits?: number;
  maxInferenceUnits?: number;
}

export interface RekognitionStandIn {
  /** http://127.0.0.1:PORT, for the client's `endpoint`. */
  url: string;
  region: string;
  accountId: string;
  requests: RecordedRekognitionRequest[];
  detections: RecordedDetection[];
  manifests: ManifestRead[];
  /** Switched at runtime; counts restart when a new object is assigned. */
  faults: RekognitionFaults;
  models(): ModelSnapshot[];
  /** Adds a version (and its project when new) without training; returns its ARN. */
  addVersion(options: AddVersionOptions): string;
  setDetections(projectVersionArn: string, fn: DetectionFunction): void;
  /** Later starts of this version end FAILED with `message` (false: start normally again). */
  setFailOnStart(projectVersionArn: string, message: string | boolean): void;
  projectArn(projectName: string): string | undefined;
  status(projectVersionArn: string): ProjectVersionStatus;
  billing(projectVersionArn: string): ModelBilling;
  close(): Promise<void>;
}

/** An error answer of the protocol. */
class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status: number = statusOf(type),
  ) {
    super(message);
  }
}

/** Server faults in the model ("fault": true) answer 500; HumanLoopQuotaExceededException has httpError 402; the rest 400. */
function statusOf(type: string): number {
  if (type === 'InternalServerError' || type === 'ThrottlingException') return 500;
  if (type === 'HumanLoopQuotaExceededException') return 402;
  if (type === 'MissingAuthenticationTokenException') return 403;
  return 400;
}

const invalid = (detail: string) => new ServiceError('InvalidParameterException', `Request has invalid parameters: ${detail}`);
const notFound = (what: string) => new ServiceError('ResourceNotFoundException', `The resource specified in the request cannot be found: ${what}`);

interface Dataset {
  arn: string;
  type: 'TRAIN' | 'TEST';
  createdMs: number;
  /** undefined: an empty dataset (no DatasetSource). */
  manifest?: ManifestRead;
}

interface Project {
  name: string;
  arn: string;
  createdMs: number;
  datasets: Dataset[];
}

interface Version {
  arn: string;
  project: Project;
  name: string;
  createdMs: number;
  status: ProjectVersionStatus;
  statusMessage: string;
  minInferenceUnits?: number;
  maxInferenceUnits?: number;
  failOnStart?: string;
  f1Score?: number;
  detections?: DetectionFunction;
  outputConfig?: { S3Bucket: string; S3KeyPrefix?: string };
  trainingEndMs?: number;
  billableTrainingSeconds?: number;
  evaluationF1?: number;
  trainingInput?: { train: ManifestRead[]; test: ManifestRead[] };
  billing: { runningMs: number; unitMs: number; runningSince?: number; units: number; starts: number; stops: number };
}

const STATUS_MESSAGES: Record<ProjectVersionStatus, string> = {
  TRAINING_IN_PROGRESS: 'The model is being trained.',
  TRAINING_COMPLETED: 'The model is ready to run.',
  TRAINING_FAILED: 'The model training failed.',
  STARTING: 'The model is starting.',
  RUNNING: 'The model is running.',
  FAILED: 'The model failed to start.',
  STOPPING: 'The model is being stopped.',
  STOPPED: 'The model is stopped.',
};

const epochSeconds = (ms: number) => ms / 1000;

function isImage(bytes: Buffer): boolean {
  const jpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  const png = bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return jpeg || png;
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(`${field} must be a structure`);
  return value as Record<string, unknown>;
}

function text(body: Record<string, unknown>, field: string, pattern?: RegExp): string {
  const value = body[field];
  if (value === undefined || value === null) throw invalid(`${field} is required`);
  if (typeof value !== 'string') throw invalid(`${field} must be a string`);
  if (pattern && !pattern.test(value)) throw invalid(`${field} '${value}' does not match ${pattern.source}`);
  return value;
}

function optionalInteger(body: Record<string, unknown>, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw invalid(`${field} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  return value;
}

function s3Object(value: unknown, field: string): { Bucket: string; Name: string; Version?: string } {
  const o = object(value, field);
  const bucket = text(o, 'Bucket', /^[0-9A-Za-z.\-_]{3,255}$/);
  const name = text(o, 'Name');
  if (name.length === 0) throw invalid(`${field}.Name must not be empty`);
  const version = o.Version === undefined ? undefined : text(o, 'Version');
  return { Bucket: bucket, Name: name, ...(version ? { Version: version } : {}) };
}

function parseManifest(body: string): { lines: number; validLines: number; invalidLines: number[] } {
  let lines = 0;
  let validLines = 0;
  const invalidLines: number[] = [];
  body.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    lines++;
    try {
      const parsed = JSON.parse(line) as unknown;
      if (parsed && typeof parsed === 'object' && typeof (parsed as Record<string, unknown>)['source-ref'] === 'string') {
        validLines++;
        return;
      }
    } catch {
      // counted below
    }
    invalidLines.push(index + 1);
  });
  return { lines, validLines, invalidLines };
}

/** Parses `AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/rekognition/aws4_request, SignedHeaders=..., Signature=...`. */
function sigV4Scope(header: string | undefined): { accessKeyId: string; region: string; service: string } | 'missing' | 'malformed' {
  if (!header) return 'missing';
  const m = /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request\s*,\s*SignedHeaders=[^,]+,\s*Signature=[0-9a-f]+$/i.exec(header.trim());
  if (!m) return 'malformed';
  return { accessKeyId: m[1], region: m[3], service: m[4] };
}

function encodeToken(offset: number): string {
  return Buffer.from(`standin:${offset}`).toString('base64');
}

function decodeToken(token: unknown): number {
  if (token === undefined || token === null) return 0;
  const m = typeof token === 'string' ? /^standin:(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8')) : null;
  if (!m) throw new ServiceError('InvalidPaginationTokenException', 'Invalid pagination token.');
  return Number(m[1]);
}

export async function startRekognitionStandIn(options: RekognitionStandInOptions = {}): Promise<RekognitionStandIn> {
  const startDelayMs = options.startDelayMs ?? 300;
  const stopDelayMs = options.stopDelayMs ?? 300;
  const trainDelayMs = options.trainDelayMs ?? 300;
  const projects = new Map<string, Project>(); // by name
  const versions = new Map<string, Version>(); // by ARN
  const requests: RecordedRekognitionRequest[] = [];
  const detections: RecordedDetection[] = [];
  const manifests: ManifestRead[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let faults: RekognitionFaults = options.faults ?? {};
  let faultUses = new WeakMap<object, number>();
  let lastStamp = 0;

  /** Creation times double as ARN suffixes; keep them unique and increasing. */
  function stamp(): number {
    lastStamp = Math.max(Date.now(), lastStamp + 1);
    return lastStamp;
  }

  function later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  }

  function newProject(name: string): Project {
    const createdMs = stamp();
    const project: Project = { name, arn: `${ARN_PREFIX}${name}/${createdMs}`, createdMs, datasets: [] };
    projects.set(name, project);
    return project;
  }

  function projectByArn(arn: string): Project {
    for (const project of projects.values()) if (project.arn === arn) return project;
    throw notFound(arn);
  }

  function versionByArn(arn: string): Version {
    const version = versions.get(arn);
    if (!version) throw notFound(arn);
    return version;
  }

  function newVersion(project: Project, name: string, status: ProjectVersionStatus): Version {
    const createdMs = stamp();
    const version: Version = {
      arn: `${ARN_PREFIX}${project.name}/version/${name}/${createdMs}`,
      project,
      name,
      createdMs,
      status,
      statusMessage: STATUS_MESSAGES[status],
      billing: { runningMs: 0, unitMs: 0, units: 0, starts: 0, stops: 0 },
    };
    versions.set(version.arn, version);
    return version;
  }

  /** Moves a version to `status`, keeping the billing clock: it runs exactly while RUNNING. */
  function transition(version: Version, status: ProjectVersionStatus, message = STATUS_MESSAGES[status]): void {
    const now = Date.now();
    const bill = version.billing;
    if (version.status === 'RUNNING' && bill.runningSince !== undefined) {
      const ms = now - bill.runningSince;
      bill.runningMs += ms;
      bill.unitMs += ms * bill.units;
      bill.runningSince = undefined;
    }
    if (status === 'RUNNING') {
      bill.runningSince = now;
      bill.units = version.minInferenceUnits ?? 1;
    }
    version.status = status;
    version.statusMessage = message;
  }

  async function readManifest(s3: { Bucket: string; Name: string }, purpose: 'TRAIN' | 'TEST', datasetArn?: string): Promise<ManifestRead> {
    let read: ManifestRead = { bucket: s3.Bucket, key: s3.Name, purpose, datasetArn, lines: 0, validLines: 0, invalidLines: [] };
    if (options.s3Reader) {
      const body = await options.s3Reader(s3.Bucket, s3.Name);
      if (body === undefined) throw invalid(`the manifest file s3://${s3.Bucket}/${s3.Name} does not exist or cannot be read`);
      const textBody = body.toString('utf8');
      read = { ...read, body: textBody, ...parseManifest(textBody) };
    }
    manifests.push(read);
    return read;
  }

  // ---- operations ----

  function createProject(body: Record<string, unknown>): object {
    const name = text(body, 'ProjectName', NAME);
    if (body.Feature !== undefined && body.Feature !== 'CUSTOM_LABELS') throw invalid(`Feature ${String(body.Feature)} is not supported by the stand-in`);
    if (projects.has(name)) throw new ServiceError('ResourceInUseException', `The project ${name} already exists.`);
    return { ProjectArn: newProject(name).arn };
  }

  function describeProjects(body: Record<string, unknown>): object {
    let names: string[] | undefined;
    if (body.ProjectNames !== undefined) {
      if (!Array.isArray(body.ProjectNames) || body.ProjectNames.length < 1 || body.ProjectNames.length > 10) throw invalid('ProjectNames must list 1 to 10 names');
      names = body.ProjectNames.map(String);
    }
    const pageSize = optionalInteger(body, 'MaxResults', 1, 100) ?? 100;
    const offset = decodeToken(body.NextToken);
    const all = [...projects.values()].filter((p) => !names || names.includes(p.name)).sort((a, b) => a.createdMs - b.createdMs);
    const page = all.slice(offset, offset + pageSize);
    return {
      ProjectDescriptions: page.map((p) => ({
        ProjectArn: p.arn,
        CreationTimestamp: epochSeconds(p.createdMs),
        Status: 'CREATED',
        Feature: 'CUSTOM_LABELS',
        Datasets: p.datasets.map((d) => ({
          CreationTimestamp: epochSeconds(d.createdMs),
          DatasetType: d.type,
          DatasetArn: d.arn,
          Status: 'CREATE_COMPLETE',
          StatusMessage: 'The dataset was successfully created from the manifest file.',
          StatusMessageCode: 'SUCCESS',
        })),
      })),
      ...(offset + pageSize < all.length ? { NextToken: encodeToken(offset + pageSize) } : {}),
    };
  }

  async function createDataset(body: Record<string, unknown>): Promise<object> {
    const project = projectByArn(text(body, 'ProjectArn', PROJECT_ARN));
    const type = text(body, 'DatasetType');
    if (type !== 'TRAIN' && type !== 'TEST') throw invalid(`DatasetType must be TRAIN or TEST, got ${type}`);
    if (project.datasets.some((d) => d.type === type)) throw new ServiceError('ResourceAlreadyExistsException', `The project ${project.name} already has a ${type} dataset.`);
    const createdMs = stamp();
    const arn = `${ARN_PREFIX}${project.name}/dataset/${type.toLowerCase()}/${createdMs}`;
    let manifest: ManifestRead | undefined;
    if (body.DatasetSource !== undefined) {
      const source = object(body.DatasetSource, 'DatasetSource');
      if (source.GroundTruthManifest !== undefined && source.DatasetArn !== undefined) throw invalid('DatasetSource takes GroundTruthManifest or DatasetArn, not both');
      if (source.GroundTruthManifest !== undefined) {
        const s3 = s3Object(object(source.GroundTruthManifest, 'DatasetSource.GroundTruthManifest').S3Object, 'DatasetSource.GroundTruthManifest.S3Object');
        manifest = await readManifest(s3, type, arn);
      } else if (source.DatasetArn !== undefined) {
        const from = text(source, 'DatasetArn', DATASET_ARN);
        const copied = [...projects.values()].flatMap((p) => p.datasets).find((d) => d.arn === from);
        if (!copied) throw notFound(from);
        manifest = copied.manifest && { ...copied.manifest, purpose: type, datasetArn: arn };
      }
    }
    project.datasets.push({ arn, type, createdMs, manifest });
    return { DatasetArn: arn };
  }

  async function trainingAssets(value: unknown, field: string, purpose: 'TRAIN' | 'TEST'): Promise<ManifestRead[]> {
    const data = object(value, field);
    if (data.Assets === undefined) return [];
    if (!Array.isArray(data.Assets)) throw invalid(`${field}.Assets must be a list`);
    const out: ManifestRead[] = [];
    for (const [i, asset] of data.Assets.entries()) {
      const manifest = object(object(asset, `${field}.Assets[${i}]`).GroundTruthManifest, `${field}.Assets[${i}].GroundTruthManifest`);
      out.push(await readManifest(s3Object(manifest.S3Object, `${field}.Assets[${i}].GroundTruthManifest.S3Object`), purpose));
    }
    return out;
  }

  async function createProjectVersion(body: Record<string, unknown>): Promise<object> {
    const project = projectByArn(text(body, 'ProjectArn', PROJECT_ARN));
    const name = text(body, 'VersionName', NAME);
    const output = object(body.OutputConfig, 'OutputConfig');
    const outputConfig = { S3Bucket: text(output, 'S3Bucket'), ...(typeof output.S3KeyPrefix === 'string' ? { S3KeyPrefix: output.S3KeyPrefix } : {}) };
    if ([...versions.values()].some((v) => v.project === project && v.name === name)) throw new ServiceError('ResourceInUseException', `The version name ${name} is already used in project ${project.name}.`);
    let train: ManifestRead[];
    let test: ManifestRead[];
    if (body.TrainingData !== undefined || body.TestingData !== undefined) {
      if (project.datasets.length > 0) throw invalid('TrainingData and TestingData can only be given for a project without datasets');
      if (body.TrainingData === undefined || body.TestingData === undefined) throw invalid('TrainingData and TestingData must be given together');
      train = await trainingAssets(body.TrainingData, 'TrainingData', 'TRAIN');
      const testing = object(body.TestingData, 'TestingData');
      test = testing.AutoCreate === true ? [] : await trainingAssets(testing, 'TestingData', 'TEST');
      if (train.length === 0) throw invalid('TrainingData has no manifest');
    } else {
      const trainSet = project.datasets.find((d) => d.type === 'TRAIN');
      const testSet = project.datasets.find((d) => d.type === 'TEST');
      if (!trainSet) throw invalid(`the project ${project.name} has no TRAIN dataset`);
      if (!testSet) throw invalid(`the project ${project.name} has no TEST dataset`);
      const empty = (d: Dataset): ManifestRead => ({ bucket: '', key: '', purpose: d.type, datasetArn: d.arn, body: '', lines: 0, validLines: 0, invalidLines: [] });
      train = [trainSet.manifest ?? empty(trainSet)];
      test = [testSet.manifest ?? empty(testSet)];
    }
    const version = newVersion(project, name, 'TRAINING_IN_PROGRESS');
    version.outputConfig = outputConfig;
    version.trainingInput = { train, test };
    const job: TrainingJob = { projectArn: project.arn, projectName: project.name, versionName: name, projectVersionArn: version.arn, outputConfig, train, test };
    later(trainDelayMs, () => {
      if (version.status !== 'TRAINING_IN_PROGRESS') return;
      let outcome: TrainingOutcome;
      try {
        outcome = options.training ? options.training(job) : defaultTraining(job);
      } catch (err) {
        outcome = { fail: `stand-in training hook threw: ${(err as Error).message}` };
      }
      version.trainingEndMs = Date.now();
      if ('fail' in outcome) {
        transition(version, 'TRAINING_FAILED', outcome.fail);
        return;
      }
      version.evaluationF1 = outcome.f1Score ?? options.f1Score ?? 0.9;
      version.billableTrainingSeconds = outcome.billableTrainingSeconds ?? Math.max(1, Math.round(trainDelayMs / 1000));
      transition(version, 'TRAINING_COMPLETED');
    });
    return { ProjectVersionArn: version.arn };
  }

  function defaultTraining(job: TrainingJob): TrainingOutcome {
    const unread = job.train.some((m) => m.body === undefined);
    if (!unread && job.train.every((m) => m.validLines === 0)) {
      const where = job.train.map((m) => (m.key ? `s3://${m.bucket}/${m.key}` : 'an empty dataset')).join(', ');
      return { fail: `The manifest file contains no valid JSON lines with a source-ref: ${where}` };
    }
    return {};
  }

  function describeVersion(v: Version): object {
    const assets = (list: ManifestRead[]) => ({ Assets: list.filter((m) => m.key).map((m) => ({ GroundTruthManifest: { S3Object: { Bucket: m.bucket, Name: m.key } } })) });
    const trained = v.status !== 'TRAINING_IN_PROGRESS' && v.status !== 'TRAINING_FAILED';
    return {
      ProjectVersionArn: v.arn,
      CreationTimestamp: epochSeconds(v.createdMs),
      Status: v.status,
      StatusMessage: v.statusMessage,
      Feature: 'CUSTOM_LABELS',
      ...(v.minInferenceUnits !== undefined ? { MinInferenceUnits: v.minInferenceUnits } : {}),
      ...(v.maxInferenceUnits !== undefined ? { MaxInferenceUnits: v.maxInferenceUnits } : {}),
      ...(v.outputConfig ? { OutputConfig: v.outputConfig } : {}),
      ...(v.trainingEndMs !== undefined ? { TrainingEndTimestamp: epochSeconds(v.trainingEndMs) } : {}),
      ...(trained && v.billableTrainingSeconds !== undefined ? { BillableTrainingTimeInSeconds: v.billableTrainingSeconds } : {}),
      ...(v.trainingInput ? { TrainingDataResult: { Input: assets(v.trainingInput.train) }, TestingDataResult: { Input: assets(v.trainingInput.test) } } : {}),
      ...(trained && v.evaluationF1 !== undefined
        ? {
            EvaluationResult: {
              F1Score: v.evaluationF1,
              ...(v.outputConfig
                ? { Summary: { S3Object: { Bucket: v.outputConfig.S3Bucket, Name: `${v.outputConfig.S3KeyPrefix ?? ''}EvaluationResultSummary-${v.project.name}-${v.name}.json` } } }
                : {}),
            },
          }
        : {}),
    };
  }

  function describeProjectVersions(body: Record<string, unknown>): object {
    const project = projectByArn(text(body, 'ProjectArn', PROJECT_ARN));
    let names: string[] | undefined;
    if (body.VersionNames !== undefined) {
      if (!Array.isArray(body.VersionNames) || body.VersionNames.length < 1 || body.VersionNames.length > 10) throw invalid('VersionNames must list 1 to 10 names');
      names = body.VersionNames.map(String);
    }
    const pageSize = optionalInteger(body, 'MaxResults', 1, 100) ?? 100;
    const offset = decodeToken(body.NextToken);
    // "sorted by the creation date and time of the project versions, latest to earliest"
    const all = [...versions.values()].filter((v) => v.project === project && (!names || names.includes(v.name))).sort((a, b) => b.createdMs - a.createdMs);
    return {
      ProjectVersionDescriptions: all.slice(offset, offset + pageSize).map(describeVersion),
      ...(offset + pageSize < all.length ? { NextToken: encodeToken(offset + pageSize) } : {}),
    };
  }

  function startProjectVersion(body: Record<string, unknown>): object {
    const version = versionByArn(text(body, 'ProjectVersionArn', VERSION_ARN));
    const min = optionalInteger(body, 'MinInferenceUnits', 1);
    if (min === undefined) throw invalid('MinInferenceUnits is required');
    const max = optionalInteger(body, 'MaxInferenceUnits', 1);
    if (max !== undefined && max < min) throw invalid(`MaxInferenceUnits (${max}) is less than MinInferenceUnits (${min})`);
    switch (version.status) {
      case 'STARTING':
      case 'RUNNING':
      case 'STOPPING':
      case 'TRAINING_IN_PROGRESS':
        throw new ServiceError('ResourceInUseException', `The model version ${version.arn} is ${version.status}.`);
      case 'TRAINING_FAILED':
        throw invalid(`the model version ${version.arn} failed training and cannot be started`);
    }
    if (options.maxRunningModels !== undefined) {
      const active = [...versions.values()].filter((v) => v.status === 'STARTING' || v.status === 'RUNNING').length;
      if (active >= options.maxRunningModels) throw new ServiceError('LimitExceededException', `You have reached the limit of ${options.maxRunningModels} running models.`);
    }
    version.minInferenceUnits = min;
    version.maxInferenceUnits = max;
    version.billing.starts++;
    transition(version, 'STARTING');
    later(startDelayMs, () => {
      if (version.status !== 'STARTING') return;
      if (version.failOnStart !== undefined) transition(version, 'FAILED', version.failOnStart);
      else transition(version, 'RUNNING');
    });
    return { Status: version.status };
  }

  function stopProjectVersion(body: Record<string, unknown>): object {
    const version = versionByArn(text(body, 'ProjectVersionArn', VERSION_ARN));
    if (version.status !== 'RUNNING') throw new ServiceError('ResourceInUseException', `The model version ${version.arn} is ${version.status}, not RUNNING.`);
    version.billing.stops++;
    transition(version, 'STOPPING');
    later(stopDelayMs, () => {
      if (version.status === 'STOPPING') transition(version, 'STOPPED');
    });
    return { Status: version.status };
  }

  async function detectCustomLabels(body: Record<string, unknown>): Promise<object> {
    const arn = text(body, 'ProjectVersionArn', VERSION_ARN);
    const image = object(body.Image, 'Image');
    const minConfidence = body.MinConfidence;
    if (minConfidence !== undefined && (typeof minConfidence !== 'number' || minConfidence < 0 || minConfidence > 100)) throw invalid('MinConfidence must be a number in [0, 100]');
    const maxResults = optionalInteger(body, 'MaxResults', 0);
    const version = versionByArn(arn);
    if (version.status !== 'RUNNING') throw new ServiceError('ResourceNotReadyException', `The model version ${arn} is not running (status ${version.status}).`);
    if ((image.Bytes === undefined) === (image.S3Object === undefined)) throw invalid('Image must have exactly one of Bytes and S3Object');
    const seen: DetectionImage = {};
    if (image.Bytes !== undefined) {
      if (typeof image.Bytes !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(image.Bytes)) throw invalid('Image.Bytes must be base64');
      const bytes = Buffer.from(image.Bytes, 'base64');
      if (bytes.length === 0) throw invalid('Image.Bytes is empty');
      if (bytes.length > MAX_BYTES_IMAGE) throw new ServiceError('ImageTooLargeException', 'Image size is too large.');
      if (!isImage(bytes)) throw new ServiceError('InvalidImageFormatException', 'Request has unsupported image format');
      seen.bytes = bytes;
    } else {
      const s3 = s3Object(image.S3Object, 'Image.S3Object');
      seen.bucket = s3.Bucket;
      seen.name = s3.Name;
      if (s3.Version) seen.version = s3.Version;
      if (options.s3Reader) {
        const bytes = await options.s3Reader(s3.Bucket, s3.Name);
        if (bytes === undefined) throw new ServiceError('InvalidS3ObjectException', 'Unable to get object metadata from S3. Check object key, region and/or access permissions.');
        if (bytes.length > MAX_S3_IMAGE) throw new ServiceError('ImageTooLargeException', 'Image size is too large.');
        if (!isImage(bytes)) throw new ServiceError('InvalidImageFormatException', 'Request has unsupported image format');
        seen.bytes = bytes;
      }
    }
    const detect = version.detections ?? options.detections;
    const labels = detect ? await detect(seen) : [];
    let returned = labels.filter((l) => minConfidence === undefined || l.Confidence >= (minConfidence as number));
    returned = [...returned].sort((a, b) => b.Confidence - a.Confidence);
    if (maxResults !== undefined) returned = returned.slice(0, maxResults);
    detections.push({ projectVersionArn: arn, image: seen, minConfidence: minConfidence as number | undefined, maxResults, returned });
    return { CustomLabels: returned };
  }

  const handlers: Record<RekognitionOperation, (body: Record<string, unknown>) => object | Promise<object>> = {
    CreateProject: createProject,
    DescribeProjects: describeProjects,
    CreateDataset: createDataset,
    CreateProjectVersion: createProjectVersion,
    DescribeProjectVersions: describeProjectVersions,
    StartProjectVersion: startProjectVersion,
    StopProjectVersion: stopProjectVersion,
    DetectCustomLabels: detectCustomLabels,
  };

  // ---- faults ----

  function takeFault<T extends { op: string; times: number }>(list: T[] | undefined, op: string): T | undefined {
    for (const entry of list ?? []) {
      if (entry.op !== op && entry.op !== '*') continue;
      const used = faultUses.get(entry) ?? 0;
      if (used >= entry.times) continue;
      faultUses.set(entry, used + 1);
      return entry;
    }
    return undefined;
  }

  function latencyFor(op: string): number {
    const latency = faults.latencyMs;
    if (latency === undefined) return 0;
    if (typeof latency === 'number') return latency;
    return latency[op as RekognitionOperation] ?? latency['*'] ?? 0;
  }

  // ---- HTTP ----

  async function answer(req: http.IncomingMessage, record: RecordedRekognitionRequest): Promise<object> {
    const raw = await readBody(req);
    if (req.method !== 'POST' || (req.url ?? '/').split('?')[0] !== '/') throw new ServiceError('UnknownOperationException', `No operation at ${req.method} ${req.url}`, 404);
    const scope = sigV4Scope(req.headers.authorization);
    if (scope === 'missing') throw new ServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    if (scope === 'malformed') throw new ServiceError('IncompleteSignatureException', `Authorization header is not a SigV4 header: ${req.headers.authorization}`);
    record.accessKeyId = scope.accessKeyId;
    record.region = scope.region;
    record.service = scope.service;
    if (!OPERATIONS.includes(record.op as RekognitionOperation) || !record.target.startsWith(TARGET_PREFIX)) {
      throw new ServiceError('UnknownOperationException', `Unknown operation ${record.target || '(no X-Amz-Target)'}`);
    }
    if (!/^application\/x-amz-json-1\.[01]\b/.test(record.contentType)) throw new ServiceError('SerializationException', `Content-Type must be ${JSON_TYPE}, got '${record.contentType}'`);
    let body: unknown;
    try {
      body = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
    } catch {
      throw new ServiceError('SerializationException', 'Request body is not valid JSON');
    }
    record.body = object(body, 'request body');
    const delay = latencyFor(record.op);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const throttle = takeFault(faults.throttle, record.op);
    if (throttle) {
      const type = throttle.error ?? 'ThrottlingException';
      throw new ServiceError(type, type === 'ThrottlingException' ? 'Rate exceeded' : 'Provisioned rate exceeded');
    }
    const fail = takeFault(faults.fail, record.op);
    if (fail) throw new ServiceError(fail.error, fail.message ?? `stand-in fault: ${fail.error}`, fail.status ?? statusOf(fail.error));
    return handlers[record.op as RekognitionOperation](record.body);
  }

  const server = http.createServer((req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const record: RecordedRekognitionRequest = {
      op: target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '',
      target,
      contentType: String(req.headers['content-type'] ?? ''),
      body: undefined,
      status: 0,
    };
    requests.push(record);
    const send = (status: number, payload: object, headers: Record<string, string> = {}) => {
      if (res.destroyed) return;
      const bytes = Buffer.from(JSON.stringify(payload));
      record.status = status;
      res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': String(bytes.length), 'x-amzn-requestid': randomUUID(), date: new Date().toUTCString(), ...headers });
      res.end(bytes);
    };
    answer(req, record)
      .then((payload) => send(200, payload))
      .catch((err: Error) => {
        const error = err instanceof ServiceError ? err : new ServiceError('InternalServerError', `stand-in error: ${err.stack ?? err.message}`);
        record.errorType = error.type;
        send(error.status, { __type: error.type, Code: error.type, Logref: randomUUID(), Message: error.message }, { 'x-amzn-errortype': error.type });
      });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  function known(arn: string): Version {
    const version = versions.get(arn);
    if (!version) throw new Error(`rekognition stand-in: no project version ${arn}`);
    return version;
  }

  return {
    url: `http://127.0.0.1:${port}`,
    region: REKOGNITION_REGION,
    accountId: REKOGNITION_ACCOUNT,
    requests,
    detections,
    manifests,
    get faults() {
      return faults;
    },
    set faults(next: RekognitionFaults) {
      faults = next ?? {};
      faultUses = new WeakMap();
    },
    models: () =>
      [...versions.values()].map((v) => ({
        projectVersionArn: v.arn,
        projectArn: v.project.arn,
        projectName: v.project.name,
        versionName: v.name,
        status: v.status,
        statusMessage: v.statusMessage,
        minInferenceUnits: v.minInferenceUnits,
        maxInferenceUnits: v.maxInferenceUnits,
      })),
    addVersion(add) {
      if (!NAME.test(add.projectName)) throw new Error(`rekognition stand-in: bad project name '${add.projectName}'`);
      if (!NAME.test(add.versionName)) throw new Error(`rekognition stand-in: bad version name '${add.versionName}'`);
      const project = projects.get(add.projectName) ?? newProject(add.projectName);
      if ([...versions.values()].some((v) => v.project === project && v.name === add.versionName)) throw new Error(`rekognition stand-in: ${add.projectName}/${add.versionName} exists`);
      const status = add.status ?? 'TRAINING_COMPLETED';
      const version = newVersion(project, add.versionName, 'TRAINING_COMPLETED');
      version.trainingEndMs = version.createdMs;
      if (status !== 'TRAINING_FAILED') {
        version.evaluationF1 = add.f1Score ?? options.f1Score ?? 0.9;
        version.billableTrainingSeconds = 3600;
      }
      if (add.failOnStart) version.failOnStart = typeof add.failOnStart === 'string' ? add.failOnStart : STATUS_MESSAGES.FAILED;
      version.detections = add.detections;
      if (status === 'RUNNING') version.minInferenceUnits = add.inferenceUnits ?? 1;
      transition(version, status);
      return version.arn;
    },
    setDetections(arn, fn) {
      known(arn).detections = fn;
    },
    setFailOnStart(arn, message) {
      known(arn).failOnStart = message === false ? undefined : typeof message === 'string' ? message : STATUS_MESSAGES.FAILED;
    },
    projectArn: (name) => projects.get(name)?.arn,
    status: (arn) => known(arn).status,
    billing(arn) {
      const bill = known(arn).billing;
      const current = bill.runningSince === undefined ? 0 : Date.now() - bill.runningSince;
      return {
        runningMs: bill.runningMs + current,
        inferenceUnitHours: (bill.unitMs + current * bill.units) / 3_600_000,
        starts: bill.starts,
        stops: bill.stops,
      };
    },
    close: () => closeServer(server, timers),
  };
}

