/** A rectangle result as Label Studio stores it: percent of a 640x360 image, the fields our reader checks. */
export function rectangleResult(value: { x: number; y: number; width: number; height: number; rectanglelabels: unknown[]; [field: string]: unknown }, extra: Record<string, unknown> = {}) {
  return {
    from_name: 'label',
    to_name: 'image',
    type: 'rectanglelabels',
    original_width: 640,
    original_height: 360,
    image_rotation: 0,
    value: { rotation: 0, ...value },
    ...extra,
  };
}
