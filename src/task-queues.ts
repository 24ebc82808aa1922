/**
 * The task queues every worker process serves (DESIGN.md rule 5): light I/O and
 * workflows on `visionflow`, CPU-heavy work on `visionflow-cpu`, and model training on
 * `visionflow-training`, one activity at a time per worker (training uses every core).
 * Pure constants so workflow code can import them.
 */
export const IO_QUEUE = 'visionflow';
export const CPU_QUEUE = 'visionflow-cpu';
export const TRAINING_QUEUE = 'visionflow-training';
export const TASK_QUEUES = [IO_QUEUE, CPU_QUEUE, TRAINING_QUEUE] as const;
export type TaskQueue = (typeof TASK_QUEUES)[number];
