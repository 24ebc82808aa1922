/**
 * Label Studio rectangles (percent of the image, top-left corner) to YOLO boxes
 * (normalised centre and size): the exact math, clipping, which annotation is used,
 * and every result that has no YOLO form reported rather than dropped.
 */
import { rectangleLabelsOf, taskBoxes } from '../../src/lib/label-studio/annotation-boxes';
import { rectangleResult } from '../support/label-studio-rectangle';

type Json = Record<string, unknown>;

function rect(x: number, y: number, width: number, height: number, labels: unknown[] = ['car'], extra: Json = {}, value: Json = {}): Json {
  return rectangleResult({ x, y, width, height, rectanglelabels: labels, ...value }, { id: `r${x}`, ...extra });
}

function annotation(id: number, result: unknown[], extra: Json = {}): Json {
  return { id, result, was_cancelled: false, ground_truth: false, updated_at: `2025-11-03T08:2${id % 10}:00.000000Z`, ...extra };
}

describe('taskBoxes', () => {
  test('converts percentages to YOLO centre and size exactly', () => {
    const cases = [
      [10, 20, 30, 40],
      [33.333333, 12.5, 0.1, 87.4],
      [0, 0, 100, 100],
      [12.3456789, 45.678901, 23.456789, 11.111111],
    ];
    const out = taskBoxes({ annotations: [annotation(1, cases.map(([x, y, w, h]) => rect(x, y, w, h)))] });
    expect(out.unconverted).toEqual([]);
    expect(out.boxes).toHaveLength(cases.length);
    cases.forEach(([x, y, w, h], i) => {
      const b = out.boxes[i];
      expect(b.label).toBe('car');
      expect(Math.abs(b.cx - (x + w / 2) / 100)).toBeLessThan(1e-12);
      expect(Math.abs(b.cy - (y + h / 2) / 100)).toBeLessThan(1e-12);
      expect(Math.abs(b.w - w / 100)).toBeLessThan(1e-12);
      expect(Math.abs(b.h - h / 100)).toBeLessThan(1e-12);
    });
    expect(out).toMatchObject({ width: 640, height: 360, annotationId: 1 });
  });

  test('clips boxes to the image and reports boxes entirely outside it', () => {
    const out = taskBoxes({ annotations: [annotation(1, [rect(-10, 90, 30, 20), rect(150, 10, 10, 10)])] });
    expect(out.boxes).toHaveLength(1);
    const [b] = out.boxes;
    // x from 0 to 0.2, y from 0.9 to 1.
    expect(b.cx).toBeCloseTo(0.1, 12);
    expect(b.w).toBeCloseTo(0.2, 12);
    expect(b.cy).toBeCloseTo(0.95, 12);
    expect(b.h).toBeCloseTo(0.1, 12);
    expect(out.unconverted).toEqual([expect.stringMatching(/no area inside the image/)]);
  });

  test('one box per label when a rectangle carries several labels', () => {
    const out = taskBoxes({ annotations: [annotation(1, [rect(10, 10, 10, 10, ['car', 'bus'])])] });
    expect(out.boxes.map((b) => b.label)).toEqual(['car', 'bus']);
  });

  test('the ground truth wins over a newer annotation', () => {
    const out = taskBoxes({
      annotations: [annotation(1, [rect(1, 1, 1, 1, ['truth'])], { ground_truth: true, updated_at: '2025-01-01T00:00:00Z' }), annotation(2, [rect(2, 2, 2, 2, ['newer'])], { updated_at: '2025-12-01T00:00:00Z' })],
    });
    expect(out.annotationId).toBe(1);
    expect(out.boxes.map((b) => b.label)).toEqual(['truth']);
  });

  test('else the most recently updated annotation that was not cancelled', () => {
    const out = taskBoxes({
      annotations: [
        annotation(7, [rect(1, 1, 1, 1, ['old'])], { updated_at: '2025-11-03T08:00:00.000000Z' }),
        annotation(8, [rect(1, 1, 1, 1, ['latest'])], { updated_at: '2025-11-03T09:30:00.000000Z' }),
        annotation(9, [rect(1, 1, 1, 1, ['cancelled'])], { updated_at: '2025-11-04T00:00:00.000000Z', was_cancelled: true }),
        annotation(6, [rect(1, 1, 1, 1, ['middle'])], { updated_at: '2025-11-03T09:00:00.000000Z' }),
      ],
    });
    expect(out.annotationId).toBe(8);
    expect(out.boxes.map((b) => b.label)).toEqual(['latest']);
  });

  test('a cancelled ground truth is ignored, and only cancelled annotations give nothing', () => {
    const out = taskBoxes({ annotations: [annotation(1, [rect(1, 1, 1, 1, ['skipped'])], { ground_truth: true, was_cancelled: true }), annotation(2, [rect(1, 1, 1, 1, ['kept'])])] });
    expect(out.boxes.map((b) => b.label)).toEqual(['kept']);
    expect(taskBoxes({ annotations: [annotation(1, [rect(1, 1, 1, 1)], { was_cancelled: true })] })).toEqual({ annotated: false, boxes: [], unconverted: [] });
    expect(taskBoxes({})).toEqual({ annotated: false, boxes: [], unconverted: [] });
  });

  test('rotated boxes, boxes on a rotated image and other tools are reported, not converted', () => {
    const out = taskBoxes({
      annotations: [
        annotation(1, [
          rect(10, 10, 20, 20, ['car'], { id: 'rot' }, { rotation: 30 }),
          rect(10, 10, 20, 20, ['car'], { id: 'full-turn' }, { rotation: 360 }),
          rect(10, 10, 20, 20, ['car'], { id: 'imgrot', image_rotation: 90 }),
          { id: 'poly', type: 'polygonlabels', value: { points: [[1, 1], [5, 1], [5, 5]], polygonlabels: ['car'] } },
          { id: 'kp', type: 'keypointlabels', value: { x: 5, y: 5, width: 1, keypointlabels: ['nose'] } },
          { id: 'ch', type: 'choices', value: { choices: ['day'] } },
        ]),
      ],
    });
    expect(out.boxes).toHaveLength(1); // the 360° turn is no rotation
    expect(out.unconverted).toEqual([
      expect.stringMatching(/rotated box \(30°\) rot of 'car'/),
      expect.stringMatching(/box imgrot was drawn on an image rotated by 90°/),
      expect.stringMatching(/polygonlabels result poly is not a rectangle/),
      expect.stringMatching(/keypointlabels result kp is not a rectangle/),
      expect.stringMatching(/choices result ch is not a rectangle/),
    ]);
  });

  test('a rectangle without a label is reported', () => {
    const out = taskBoxes({ annotations: [annotation(1, [rect(1, 1, 5, 5, [], { id: 'empty' }), { id: 'plain', type: 'rectangle', value: { x: 1, y: 1, width: 5, height: 5 } }])] });
    expect(out.boxes).toEqual([]);
    expect(out.unconverted).toEqual([expect.stringMatching(/box empty has no label/), expect.stringMatching(/box plain has no label/)]);
  });

  test('malformed annotations throw with a message naming the annotation', () => {
    expect(() => taskBoxes({ annotations: [annotation(42, [rect(1, 1, 1, 1, ['car'], {}, { x: '10' })])] })).toThrow(/annotation 42 result 0: x, y, width and height must be numbers/);
    expect(() => taskBoxes({ annotations: [annotation(43, [rect(1, 1, 1, 1, ['car'], {}, { width: NaN })])] })).toThrow(/annotation 43/);
    expect(() => taskBoxes({ annotations: [annotation(44, [{ type: 'rectanglelabels' }])] })).toThrow(/annotation 44 result 0: value is missing/);
    expect(() => taskBoxes({ annotations: [annotation(45, ['nope'])] })).toThrow(/annotation 45 result 0: not an object/);
    expect(() => taskBoxes({ annotations: [{ id: 46, result: 'x' }] })).toThrow(/annotation 46: result is not a list/);
    expect(() => taskBoxes({ annotations: { id: 1 } })).toThrow(/annotations is not a list/);
  });
});

describe('rectangleLabelsOf', () => {
  test('labels of every RectangleLabels block in order, entities decoded, duplicates once, other tags ignored', () => {
    const config = `<View>
      <Image name="image" value="$image"/>
      <Choices name="weather" toName="image"><Choice value="day"/><Choice value="night"/></Choices>
      <RectangleLabels name="vehicles" toName="image">
        <Label value="car" background="red"/>
        <Label background="blue" value="bus &amp; coach"/>
        <Label value="&quot;van&quot;"/>
      </RectangleLabels>
      <PolygonLabels name="areas" toName="image"><Label value="road"/></PolygonLabels>
      <rectanglelabels name="people" toName="image">
        <Label value="person"/>
        <Label value="car"/>
      </rectanglelabels>
    </View>`;
    expect(rectangleLabelsOf(config)).toEqual(['car', 'bus & coach', '"van"', 'person']);
  });

  test('no config or no RectangleLabels gives no labels', () => {
    expect(rectangleLabelsOf(undefined)).toEqual([]);
    expect(rectangleLabelsOf('')).toEqual([]);
    expect(rectangleLabelsOf('<View><Image name="i" value="$image"/><Choices name="c" toName="i"><Choice value="cat"/></Choices></View>')).toEqual([]);
  });
});
