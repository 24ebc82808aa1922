/**
 * Loads TensorFlow.js once per process: the native `@tensorflow/tfjs-node` when it is
 * installed and loads (an optional dependency: its install script downloads a
 * binary), else `@tensorflow/tfjs` on the WebAssembly backend, else plain JS. The
 * backend name is recorded with every trained model.
 */
import * as path from 'node:path';
import type * as TF from '@tensorflow/tfjs';

export type Tensorflow = typeof TF;
export interface TfRuntime {
  tf: Tensorflow;
  /** 'tensorflow' (tfjs-node), 'wasm' or 'cpu'. */
  backend: string;
}

let runtime: Promise<TfRuntime> | undefined;

export function loadTensorflow(): Promise<TfRuntime> {
  runtime ??= load();
  return runtime;
}

async function load(): Promise<TfRuntime> {
  const native = tryNative();
  if (native) {
    await native.ready();
    return { tf: native, backend: native.getBackend() };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tf = require('@tensorflow/tfjs') as Tensorflow;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(prefix: string): void };
    wasm.setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
    if (await tf.setBackend('wasm')) return { tf, backend: 'wasm' };
  } catch {
    // no usable WebAssembly backend: the plain JS one below still works, only slower
  }
  await tf.setBackend('cpu');
  return { tf, backend: 'cpu' };
}

function tryNative(): Tensorflow | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@tensorflow/tfjs-node') as Tensorflow;
  } catch {
    return undefined;
  }
}
