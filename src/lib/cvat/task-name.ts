/**
 * Survey task names `levID-medID`: the survey (levé) id before the first '-', the
 * measurement id after it. Pure.
 */
export interface TaskName {
  name: string;
  lev: string;
  med: string;
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._]*$/;

export function parseTaskName(name: string): TaskName {
  const dash = typeof name === 'string' ? name.indexOf('-') : -1;
  const lev = dash > 0 ? name.slice(0, dash) : '';
  const med = dash > 0 ? name.slice(dash + 1) : '';
  if (!SEGMENT.test(lev) || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(med)) {
    throw new Error(`task name '${name}' is not levID-medID (letters, digits, '.' or '_' before the first '-', then the measurement id)`);
  }
  return { name, lev, med };
}
