/**
 * One Temporal namespace per integration test file, so files running in parallel on
 * the shared dev server never take each other's tasks from the `visionflow` queues.
 */
export const TEST_NAMESPACES = ['capture', 'capture-s3', 'crash', 'continue', 'schedule', 'batch', 'cli', 'cli-empty', 'start', 'cvat', 'cvat-export', 'cvat-crash', 'ls', 'ls-pat', 'ls-stand-in', 'ls-crash', 'video', 'video-crash', 'video-frames', 'blur', 'blur-crash', 'blur-capture', 'blur-web'] as const;
export type TestNamespace = (typeof TEST_NAMESPACES)[number];
