/** Signals and query between detection runs and a model's lease workflow. */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export interface LeaseRequest {
  /** Workflow id of the run holding the lease; grants are signalled back to it. */
  holder: string;
  leaseMs: number;
  inferenceUnits: number;
}

export interface LeaseGrant {
  ok: boolean;
  error?: string;
  /** The lease workflow started the model for this run (false: it was already running). */
  startedByLease?: boolean;
}

export const acquireSignal = defineSignal<[LeaseRequest]>('acquire');
export const renewSignal = defineSignal<[{ holder: string; leaseMs: number }]>('renew');
export const releaseSignal = defineSignal<[{ holder: string }]>('release');
/** Stop the model now, even with holders; `force` also stops a model the lease did not start. */
export const stopModelSignal = defineSignal<[{ force?: boolean }]>('stop');
/** Sent by the lease workflow to a holder. */
export const leaseGrantedSignal = defineSignal<[LeaseGrant]>('leaseGranted');
export const leaseRevokedSignal = defineSignal<[{ reason: string }]>('leaseRevoked');

export interface LeaseStatus {
  arn: string;
  state: 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';
  modelStatus: string;
  startedByLease: boolean;
  holders: { holder: string; expiresAt: string }[];
  runningSince: string | null;
  runningMs: number;
  inferenceUnits: number;
  estimatedCostUsd: number;
  error?: string;
}

export const leaseStatusQuery = defineQuery<LeaseStatus>('lease');
