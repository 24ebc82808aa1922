/**
 * Ownership of opencv.js objects. Everything opencv.js allocates lives on the
 * WebAssembly heap, which JavaScript's garbage collector never frees: each Mat,
 * vector or algorithm object must be delete()d exactly once. A MatScope records
 * what a piece of code allocates and frees it all in one place (a `finally`), and
 * a process-wide count of live tracked objects lets tests prove nothing leaks.
 */
import type { CvDeletable } from './orb-opencv-runtime';

let live = 0;

/** Tracked opencv.js objects not yet deleted, across all scopes in this process. */
export function liveOpenCvObjects(): number {
  return live;
}

export class MatScope {
  private readonly owned: CvDeletable[] = [];

  /** Take ownership of `obj`: it is deleted by this scope's deleteAll(). */
  track<T extends CvDeletable>(obj: T): T {
    this.owned.push(obj);
    live++;
    return obj;
  }

  /** Delete every tracked object, newest first; safe to call more than once. */
  deleteAll(): void {
    while (this.owned.length > 0) {
      const obj = this.owned.pop()!;
      live--;
      if (!obj.isDeleted()) obj.delete();
    }
  }

  /** Run `fn` with a fresh scope that is emptied however `fn` ends. */
  static run<T>(fn: (scope: MatScope) => T): T {
    const scope = new MatScope();
    try {
      return fn(scope);
    } finally {
      scope.deleteAll();
    }
  }
}
