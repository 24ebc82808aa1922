/** What the bench ran on, recorded next to every figure. */
import os from 'node:os';
import sharp from 'sharp';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  platform: string;
  node: string;
  sharp: string;
  libvips: string;
  /** libvips threads per image (sharp.concurrency()). */
  sharpConcurrency: number;
  /** libuv pool that runs sharp's jobs (4 unless UV_THREADPOOL_SIZE is set). */
  uvThreadpoolSize: number;
  /** 1, 5 and 15 minute load averages when the bench started: other work on the machine skews timings. */
  loadAverage: number[];
}

export function describeMachine(): Machine {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    sharp: sharp.versions.sharp,
    libvips: sharp.versions.vips,
    sharpConcurrency: sharp.concurrency(),
    uvThreadpoolSize: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
