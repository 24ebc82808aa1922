/** The parts of CVAT's REST API (cvat/schema.yml) visionflow reads. */
export interface CvatPage<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface CvatTask {
  id: number;
  name: string;
  size: number;
  status?: string;
  organization?: number | null;
}

export interface CvatFrameMeta {
  name: string;
  width: number;
  height: number;
}

export interface CvatDataMeta {
  size: number;
  start_frame: number;
  stop_frame: number;
  frame_filter: string;
  frames: CvatFrameMeta[];
  deleted_frames: number[];
}

export interface CvatAbout {
  name: string;
  version: string;
}

export interface CvatRequestStatus {
  id: string;
  status: 'queued' | 'started' | 'finished' | 'failed';
  message?: string;
  progress?: number | null;
  result_url?: string | null;
}
