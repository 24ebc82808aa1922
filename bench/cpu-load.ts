/**
 * How much of the machine other processes took while a method ran: machine-wide busy
 * CPU time (/proc/stat, steal included) minus this process's own CPU time and that of
 * its finished children (/proc/self/stat), per second of wall time. On a shared
 * machine this is what keeps "both cores busy" from happening; on systems without
 * /proc it is unknown (null).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Kernel clock ticks per second (USER_HZ): 100 on every Linux the bench runs on. */
const TICKS_PER_SECOND = 100;

export interface CpuSnapshot {
  /** Busy CPU seconds of the whole machine since boot. */
  machineBusy: number;
  /** CPU seconds of this process and its waited-for children. */
  own: number;
  /** performance.now() in seconds. */
  at: number;
}

export function cpuSnapshot(): CpuSnapshot | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + (cpu[7] ?? 0);
    const self = readFileSync('/proc/self/stat', 'utf8');
    const fields = self.slice(self.lastIndexOf(')') + 2).split(' ').map(Number);
    // after "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
    const own = fields[11] + fields[12] + fields[13] + fields[14];
    if (![busy, own].every(Number.isFinite)) return null;
    return { machineBusy: busy / TICKS_PER_SECOND, own: own / TICKS_PER_SECOND, at: performance.now() / 1000 };
  } catch {
    return null;
  }
}

/** Cores' worth of CPU that other processes used between two snapshots (never below 0). */
export function otherCores(before: CpuSnapshot | null, after: CpuSnapshot | null): number | null {
  if (!before || !after || after.at <= before.at) return null;
  const others = after.machineBusy - before.machineBusy - (after.own - before.own);
  return Math.max(0, others / (after.at - before.at));
}
