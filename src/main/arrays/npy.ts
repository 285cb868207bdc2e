import { readFile, writeFile } from 'node:fs/promises';
import { PairxError } from '../errors.ts';

/** NumPy `.npy` files (format 1.0/2.0, little-endian float32/float64/int64, C order). */
export interface NdArray {
  data: Float32Array;
  shape: number[];
}

export class NpyFormatError extends PairxError {
  constructor(message: string) {
    super('invalid-arguments', message);
  }
}

export function parseNpy(bytes: Uint8Array, source = 'array'): NdArray {
  const magic = String.fromCharCode(...bytes.subarray(0, 6));
  if (magic !== '\x93NUMPY') throw new NpyFormatError(`${source} is not a .npy file`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = Buffer.from(bytes.subarray(headerStart, headerStart + headerLength)).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new NpyFormatError(`${source}: unreadable .npy header`);
  if (fortran) throw new NpyFormatError(`${source}: Fortran-ordered arrays are not supported`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = headerStart + headerLength;
  const body = bytes.slice(offset, offset + count * Number(descr.slice(2)));
  let data: Float32Array;
  if (descr === '<f4') data = new Float32Array(body.buffer, body.byteOffset, count);
  else if (descr === '<f8') data = Float32Array.from(new Float64Array(body.buffer, body.byteOffset, count));
  else if (descr === '<i8') data = Float32Array.from(new BigInt64Array(body.buffer, body.byteOffset, count), Number);
  else throw new NpyFormatError(`${source}: element type ${descr} is not supported (use float32)`);
  return { data, shape };
}

export function formatNpy(array: NdArray): Uint8Array {
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + array.data.byteLength);
  out.set([0x93, ...Buffer.from('NUMPY', 'latin1'), 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), 10);
  out.set(new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength), 10 + header.length);
  return out;
}

export async function readNpy(path: string): Promise<NdArray> {
  return parseNpy(await readFile(path), path);
}

export async function writeNpy(path: string, array: NdArray): Promise<void> {
  await writeFile(path, formatNpy(array));
}
