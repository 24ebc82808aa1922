import { RekognitionClient } from '@aws-sdk/client-rekognition';

export interface RekognitionSettings {
  endpoint?: string;
  region: string;
}

/** One client per worker: credentials from the AWS default chain, endpoint overridable. */
export function createRekognitionClient(settings: RekognitionSettings): RekognitionClient {
  return new RekognitionClient({ region: settings.region, endpoint: settings.endpoint });
}
