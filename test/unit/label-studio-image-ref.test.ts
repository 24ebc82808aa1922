/**
 * Every form of `data.image` Label Studio writes, classified: on the Label Studio host
 * (may carry the token), another host (never the token), a cloud URI, or invalid with a
 * reason; and the file name each form points at.
 */
import { classifyImageRef, refFileName } from '../../src/lib/label-studio/image-ref';

const LS = 'http://ls.example:8080';

describe('classifyImageRef', () => {
  test.each([
    ['/data/upload/3/x.jpg', `${LS}/data/upload/3/x.jpg`],
    ['data/upload/3/x.jpg', `${LS}/data/upload/3/x.jpg`],
    ['/storage-data/uploaded/?filepath=upload/3/x.jpg', `${LS}/storage-data/uploaded/?filepath=upload/3/x.jpg`],
    ['/data/local-files/?d=images/x.jpg', `${LS}/data/local-files/?d=images/x.jpg`],
    ['/tasks/14/resolve/?fileuri=czM6Ly9iL2s=', `${LS}/tasks/14/resolve/?fileuri=czM6Ly9iL2s=`],
    ['  /data/upload/3/x.jpg  ', `${LS}/data/upload/3/x.jpg`],
  ])('%j is on the Label Studio host', (raw, url) => {
    expect(classifyImageRef(raw, LS)).toEqual({ kind: 'label-studio', url });
  });

  test('an absolute URL is on Label Studio only with the same scheme, host and port', () => {
    expect(classifyImageRef(`${LS}/data/upload/3/x.jpg`, LS)).toEqual({ kind: 'label-studio', url: `${LS}/data/upload/3/x.jpg` });
    expect(classifyImageRef('HTTP://LS.EXAMPLE:8080/data/upload/3/x.jpg', LS)).toEqual({ kind: 'label-studio', url: `${LS}/data/upload/3/x.jpg` });
    // The default port written out is the same origin.
    expect(classifyImageRef('http://ls.example:80/a.jpg', 'http://ls.example')).toEqual({ kind: 'label-studio', url: 'http://ls.example/a.jpg' });
    expect(classifyImageRef('http://ls.example:9090/data/upload/3/x.jpg', LS)).toEqual({ kind: 'external', url: 'http://ls.example:9090/data/upload/3/x.jpg' });
    expect(classifyImageRef('https://ls.example:8080/data/upload/3/x.jpg', LS).kind).toBe('external');
    expect(classifyImageRef('https://cdn.example/img/x.jpg?sig=1', LS)).toEqual({ kind: 'external', url: 'https://cdn.example/img/x.jpg?sig=1' });
    // Without a Label Studio URL nothing is the Label Studio host.
    expect(classifyImageRef(`${LS}/data/upload/3/x.jpg`, undefined).kind).toBe('external');
  });

  test.each([
    ['s3://bucket/frames/cam 1/x.jpg', 's3'],
    ['S3://Bucket/x.jpg', 's3'],
    ['gs://bucket/x.jpg', 'gs'],
    ['azure-blob://container/x.jpg', 'azure-blob'],
  ])('%j is a cloud URI (%s)', (raw, scheme) => {
    expect(classifyImageRef(raw, LS)).toEqual({ kind: 'cloud', uri: raw, scheme });
  });

  test.each([
    ['', /no image reference/],
    ['   ', /no image reference/],
    [42, /no image reference/],
    [undefined, /no image reference/],
    [{ url: '/data/upload/3/x.jpg' }, /no image reference/],
    ['ftp://x', /'ftp:\/\/x' is not a Label Studio path, an http\(s\) URL or a cloud URI/],
    ['data:image/png;base64,iVBORw0KGgo=', /inline data: URLs are not supported/],
    ['images/x.jpg', /'images\/x.jpg' is not a Label Studio path/],
    ['http://[bad', /is not a valid URL/],
  ])('%j is invalid', (raw, reason) => {
    const ref = classifyImageRef(raw, LS);
    expect(ref.kind).toBe('invalid');
    expect(ref.kind === 'invalid' && ref.reason).toMatch(reason);
  });

  test('a Label Studio path without a known Label Studio URL is invalid and says why', () => {
    for (const raw of ['/data/upload/3/x.jpg', 'data/upload/3/x.jpg', '/data/local-files/?d=x.jpg']) {
      const ref = classifyImageRef(raw, undefined);
      expect(ref).toEqual({ kind: 'invalid', reason: expect.stringContaining('no Label Studio URL is known') });
    }
  });

  test('a long invalid reference is cut in the reason', () => {
    const ref = classifyImageRef(`x/${'a'.repeat(500)}`, LS);
    expect(ref.kind === 'invalid' && ref.reason.length).toBeLessThan(200);
  });
});

describe('refFileName', () => {
  test.each([
    ['/data/upload/3/4f1c2a9e-x.jpg', '4f1c2a9e-x.jpg'],
    ['data/upload/3/x.jpg', 'x.jpg'],
    ['/storage-data/uploaded/?filepath=upload/3/x.jpg', 'x.jpg'],
    ['/data/local-files/?d=images/sub/x.jpg', 'x.jpg'],
    ['/tasks/14/resolve/?fileuri=czM6Ly9iL2s=', 'czM6Ly9iL2s='],
    ['http://ls.example:8080/data/upload/3/x.jpg', 'x.jpg'],
    ['https://cdn.example/img/x.jpg?X-Amz-Signature=abc', 'x.jpg'],
    ['s3://bucket/frames/cam 1/x.jpg', 'x.jpg'],
    ['gs://bucket/a/b.png', 'b.png'],
    ['azure-blob://container/dir/c.webp', 'c.webp'],
  ])('%j -> %j', (raw, name) => {
    expect(refFileName(raw)).toBe(name);
  });

  test('percent-encoded names are decoded once, in paths and in query parameters', () => {
    expect(refFileName('/data/upload/3/my%20photo.jpg')).toBe('my photo.jpg');
    expect(refFileName('https://cdn.example/img/caf%C3%A9.jpg')).toBe('café.jpg');
    expect(refFileName('/data/local-files/?d=images%2Fmy%20photo.jpg')).toBe('my photo.jpg');
    expect(refFileName('/storage-data/uploaded/?filepath=upload/3/a+b.jpg')).toBe('a b.jpg');
    // A malformed escape keeps the raw text instead of throwing.
    expect(refFileName('/data/upload/3/100%.jpg')).toBe('100%.jpg');
  });

  // BUG: query parameters are decoded twice (URLSearchParams, then decodeURIComponent), paths once,
  // so a file named 'a%20b.jpg' is 'a%20b.jpg' as an upload but 'a b.jpg' as a local file.
  test('a name with a literal %20 is kept, in a query parameter as in a path', () => {
    expect(refFileName('/data/upload/3/a%2520b.jpg')).toBe('a%20b.jpg');
    expect(refFileName('/data/local-files/?d=images/a%2520b.jpg')).toBe('a%20b.jpg');
  });

  test('a reference without a path segment still gives a name', () => {
    expect(refFileName('https://cdn.example/')).toBe('image');
  });
});
