/** Typed CVAT failures: the activity turns non-retryable ones into non-retryable Temporal failures. */
export class CvatError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'CvatError';
  }
}

export class CvatTaskNotFoundError extends CvatError {
  constructor(name: string, similar: string[]) {
    super(
      `no CVAT task is named exactly '${name}'${similar.length ? `; tasks whose name contains it: ${similar.map((s) => `'${s}'`).join(', ')}` : ''}`,
      404,
      false,
    );
    this.name = 'CvatTaskNotFoundError';
  }
}

export class CvatTaskAmbiguousError extends CvatError {
  constructor(name: string, ids: number[]) {
    super(`${ids.length} CVAT tasks are named '${name}' (ids ${ids.join(', ')}); rename all but one or pass the task id`, 409, false);
    this.name = 'CvatTaskAmbiguousError';
  }
}
