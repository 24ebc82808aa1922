/**
 * Every form of image reference Label Studio puts in `data.image`, and where to get
 * the bytes. Only references on the Label Studio host itself may carry the token.
 */
export type ImageRef =
  /** On the Label Studio host: uploads, storage-data proxy, local files, or an absolute URL to it. */
  | { kind: 'label-studio'; url: string }
  /** Any other http(s) host (presigned S3, CDN, the web): fetched without credentials. */
  | { kind: 'external'; url: string }
  /** Cloud storage URI (s3://, gs://, azure-blob://): resolved through the task's resolve endpoint, or S3 directly. */
  | { kind: 'cloud'; uri: string; scheme: string }
  | { kind: 'invalid'; reason: string };

const LS_PATHS = [/^\/data\/upload\//, /^\/storage-data\//, /^\/data\/local-files\/?\?/, /^\/tasks\/\d+\/resolve\//, /^\/api\//];

export function classifyImageRef(raw: unknown, labelStudioUrl: string | undefined): ImageRef {
  if (typeof raw !== 'string' || raw.trim() === '') return { kind: 'invalid', reason: 'no image reference in data' };
  const ref = raw.trim();
  const cloud = /^(s3|gs|azure-blob):\/\//i.exec(ref);
  if (cloud) return { kind: 'cloud', uri: ref, scheme: cloud[1].toLowerCase() };
  if (/^https?:\/\//i.test(ref)) {
    let url: URL;
    try {
      url = new URL(ref);
    } catch {
      return { kind: 'invalid', reason: `'${ref}' is not a valid URL` };
    }
    const base = labelStudioUrl ? new URL(labelStudioUrl) : undefined;
    return base && url.origin === base.origin ? { kind: 'label-studio', url: url.toString() } : { kind: 'external', url: url.toString() };
  }
  const path = ref.startsWith('/') ? ref : `/${ref}`;
  if (LS_PATHS.some((p) => p.test(path))) {
    if (!labelStudioUrl) return { kind: 'invalid', reason: `'${ref}' is relative to Label Studio but no Label Studio URL is known` };
    return { kind: 'label-studio', url: new URL(path, labelStudioUrl).toString() };
  }
  if (/^data:/i.test(ref)) return { kind: 'invalid', reason: 'inline data: URLs are not supported' };
  return { kind: 'invalid', reason: `'${ref.slice(0, 120)}' is not a Label Studio path, an http(s) URL or a cloud URI` };
}

/** The file name a reference points at: last path segment, or the filepath/d query parameter. */
export function refFileName(raw: string): string {
  let candidate = raw;
  let decoded = false; // query values come decoded already; paths do not
  try {
    const url = new URL(raw, 'http://placeholder.invalid');
    const fromQuery = url.searchParams.get('filepath') ?? url.searchParams.get('d') ?? url.searchParams.get('fileuri');
    decoded = fromQuery !== null;
    candidate = fromQuery ?? url.pathname;
  } catch {
    // keep the raw string
  }
  const last = candidate.split(/[\\/]/).filter(Boolean).pop() ?? 'image';
  if (decoded) return last;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}
