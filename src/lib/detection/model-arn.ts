/**
 * Rekognition Custom Labels model version ARNs (pure):
 * arn:aws:rekognition:<region>:<account>:project/<project>/version/<version>/<created ms>
 */
export interface ModelArn {
  arn: string;
  region: string;
  project: string;
  version: string;
}

const PATTERN = /^arn:aws[a-z-]*:rekognition:([a-z0-9-]+):(\d{12}):project\/([A-Za-z0-9][A-Za-z0-9_.-]*)\/version\/([A-Za-z0-9][A-Za-z0-9_.-]*)\/\d+$/;

export function parseModelArn(arn: string): ModelArn {
  const m = PATTERN.exec(arn ?? '');
  if (!m) throw new Error(`'${arn}' is not a Rekognition Custom Labels model version ARN (arn:aws:rekognition:<region>:<account>:project/<name>/version/<version>/<number>)`);
  return { arn, region: m[1], project: m[3], version: m[4] };
}

/** Workflow id of the lease of one model version: one lease workflow per ARN. */
export const leaseWorkflowId = (arn: string): string => `model-lease-${arn}`;
