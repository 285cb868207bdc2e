import { useEffect, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import {
  centre,
  dragBox,
  HANDLES,
  handlePoint,
  hitTest,
  moveShape,
  resizeShape,
  rotateKnob,
  rotateTowards,
  ROTATE_KNOB_OFFSET,
  sameShape,
  screenToPhoto,
  type BoxShape,
  type Handle,
  type PhotoSize,
  type Point,
} from '../lib/box-geometry.ts';

export interface EditorBox {
  id: number;
  /** null: the whole photo (drawn as a dashed frame). */
  shape: BoxShape | null;
  label: string;
}

interface Props {
  imageUrl: string;
  photo: PhotoSize;
  boxes: EditorBox[];
  selected: number | null;
  onSelect: (id: number | null) => void;
  /** A box dragged out on the photo, at the end of the drag. */
  onDraw: (shape: BoxShape) => void;
  /** A box moved, resized or turned, at the end of the drag. */
  onChange: (id: number, shape: BoxShape) => void;
}

/** Screen pixels of tolerance around a handle, and a drag shorter than this is a click. */
const HANDLE_RADIUS = 9;
const CLICK = 5;

type Gesture =
  | { kind: 'draw'; start: Point; startScreen: Point }
  | { kind: 'move'; id: number; start: Point; from: BoxShape }
  | { kind: 'resize'; id: number; handle: Handle; from: BoxShape }
  | { kind: 'rotate'; id: number; from: BoxShape };

/**
 * The photo with its boxes over it (SVG in the photo's own pixels): drag on the photo to draw a box,
 * drag a box to move it, its handles to resize it along its own edges, the knob above it to turn it.
 * Every gesture reports once, when it ends; what it shows meanwhile is its own.
 */
export function BoxEditor({ imageUrl, photo, boxes, selected, onSelect, onDraw, onChange }: Props) {
  const stage = useRef<HTMLDivElement>(null);
  const svg = useRef<SVGSVGElement>(null);
  const [fitted, setFitted] = useState({ width: 0, height: 0 });
  const gesture = useRef<Gesture | null>(null);
  const [live, setLive] = useState<{ id: number | 'new'; shape: BoxShape } | null>(null);
  const [loaded, setLoaded] = useState(false);

  useEffect(() => setLoaded(false), [imageUrl]);

  useEffect(() => {
    const element = stage.current;
    if (!element) return;
    const measure = () => {
      const scale = Math.min(element.clientWidth / photo.width, element.clientHeight / photo.height);
      setFitted({ width: Math.max(1, Math.floor(photo.width * scale)), height: Math.max(1, Math.floor(photo.height * scale)) });
    };
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    measure();
    return () => observer.disconnect();
  }, [photo.width, photo.height]);

  /** Photo pixels per screen pixel. */
  const unit = fitted.width > 0 ? photo.width / fitted.width : 1;

  const pointOf = (event: { clientX: number; clientY: number }): Point =>
    screenToPhoto({ x: event.clientX, y: event.clientY }, svg.current!.getBoundingClientRect(), photo);

  const shapeOf = (id: number) => boxes.find((box) => box.id === id)?.shape ?? null;

  const onPointerDown = (event: ReactPointerEvent<SVGSVGElement>) => {
    if (event.button !== 0) return;
    const point = pointOf(event);
    event.currentTarget.setPointerCapture(event.pointerId);
    const radius = HANDLE_RADIUS * unit;
    const knob = ROTATE_KNOB_OFFSET * unit;
    const current = selected === null ? null : shapeOf(selected);
    if (selected !== null && current) {
      const hit = hitTest(current, point, radius, knob);
      if (hit?.kind === 'rotate') return void (gesture.current = { kind: 'rotate', id: selected, from: current });
      if (hit?.kind === 'handle') return void (gesture.current = { kind: 'resize', id: selected, handle: hit.handle, from: current });
      if (hit?.kind === 'inside') return void (gesture.current = { kind: 'move', id: selected, start: point, from: current });
    }
    // The smallest box under the pointer, so that a box inside another can be picked.
    const under = boxes
      .filter((box) => box.shape && hitTest(box.shape, point, 0, knob)?.kind === 'inside')
      .sort((a, b) => a.shape!.w * a.shape!.h - b.shape!.w * b.shape!.h)[0];
    if (under?.shape) {
      onSelect(under.id);
      gesture.current = { kind: 'move', id: under.id, start: point, from: under.shape };
      return;
    }
    gesture.current = { kind: 'draw', start: point, startScreen: { x: event.clientX, y: event.clientY } };
  };

  const onPointerMove = (event: ReactPointerEvent<SVGSVGElement>) => {
    const active = gesture.current;
    if (!active) return;
    const point = pointOf(event);
    if (active.kind === 'draw') setLive({ id: 'new', shape: dragBox(active.start, point, photo) });
    else if (active.kind === 'move') setLive({ id: active.id, shape: moveShape(active.from, point.x - active.start.x, point.y - active.start.y, photo) });
    else if (active.kind === 'resize') setLive({ id: active.id, shape: resizeShape(active.from, active.handle, point, photo) });
    else setLive({ id: active.id, shape: rotateTowards(active.from, point) });
  };

  const onPointerUp = (event: ReactPointerEvent<SVGSVGElement>) => {
    const active = gesture.current;
    gesture.current = null;
    const shape = live?.shape;
    setLive(null);
    if (!active) return;
    if (active.kind === 'draw') {
      const dragged = Math.hypot(event.clientX - active.startScreen.x, event.clientY - active.startScreen.y);
      if (dragged < CLICK || !shape) onSelect(null);
      else onDraw(shape);
      return;
    }
    if (shape && !sameShape(shape, active.from)) onChange(active.id, shape);
  };

  const shown = boxes.map((box) => (live && live.id === box.id ? { ...box, shape: live.shape } : box));
  const drawing = live?.id === 'new' ? live.shape : null;
  const chosen = shown.find((box) => box.id === selected && box.shape);
  const font = 13 * unit;

  return (
    <div className="box-stage" ref={stage}>
      <div className="box-canvas" style={{ width: fitted.width, height: fitted.height }}>
        <img src={imageUrl} alt="the photo" draggable={false} onLoad={() => setLoaded(true)} />
        <svg
          ref={svg}
          className="box-layer"
          viewBox={`0 0 ${photo.width} ${photo.height}`}
          aria-label="Boxes"
          data-loaded={loaded ? 'yes' : 'no'}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={() => {
            gesture.current = null;
            setLive(null);
          }}
        >
          {shown.map((box) => {
            const isSelected = box.id === selected;
            if (!box.shape)
              return (
                <g key={box.id} className={isSelected ? 'box whole selected' : 'box whole'} data-annotation={box.id}>
                  <rect x={0} y={0} width={photo.width} height={photo.height} vectorEffect="non-scaling-stroke" />
                  <text x={6 * unit} y={font + 6 * unit} fontSize={font}>
                    {box.label} · whole photo
                  </text>
                </g>
              );
            const { x, y, w, h, theta } = box.shape;
            const c = centre(box.shape);
            return (
              <g
                key={box.id}
                className={isSelected ? 'box selected' : 'box'}
                data-annotation={box.id}
                transform={`rotate(${(theta * 180) / Math.PI} ${c.x} ${c.y})`}
              >
                <rect x={x} y={y} width={w} height={h} vectorEffect="non-scaling-stroke" />
                <text x={x + 4 * unit} y={y - 5 * unit} fontSize={font}>
                  {box.label}
                </text>
              </g>
            );
          })}
          {chosen?.shape && (
            <g className="box-handles">
              <line
                x1={handlePoint(chosen.shape, 'n').x}
                y1={handlePoint(chosen.shape, 'n').y}
                x2={rotateKnob(chosen.shape, ROTATE_KNOB_OFFSET * unit).x}
                y2={rotateKnob(chosen.shape, ROTATE_KNOB_OFFSET * unit).y}
                vectorEffect="non-scaling-stroke"
              />
              <circle
                className="knob"
                cx={rotateKnob(chosen.shape, ROTATE_KNOB_OFFSET * unit).x}
                cy={rotateKnob(chosen.shape, ROTATE_KNOB_OFFSET * unit).y}
                r={6 * unit}
              />
              {HANDLES.map((handle) => {
                const point = handlePoint(chosen.shape!, handle);
                return <circle key={handle} data-handle={handle} cx={point.x} cy={point.y} r={5 * unit} />;
              })}
            </g>
          )}
          {drawing && (
            <rect className="box drawing" x={drawing.x} y={drawing.y} width={drawing.w} height={drawing.h} vectorEffect="non-scaling-stroke" />
          )}
        </svg>
      </div>
    </div>
  );
}
