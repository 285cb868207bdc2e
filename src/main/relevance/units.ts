import type { IrNode } from '../onnx/ir.ts';

/**
 * A unit is what one LRP rule applies to: usually one ONNX node, sometimes a recognised pattern
 * (MatMul + bias Add, x·sigmoid(x), a squeeze-excitation product). `inputs` are the computed tensors
 * that receive relevance; constants and gate branches are not listed.
 */
interface UnitBase {
  node: IrNode;
  inputs: string[];
  outputs: string[];
}

export type Unit =
  | (UnitBase & { kind: 'conv' })
  | (UnitBase & { kind: 'linear'; bias?: string; biasNode?: IrNode })
  | (UnitBase & { kind: 'pass' })
  | (UnitBase & { kind: 'gate' })
  | (UnitBase & { kind: 'sum' })
  | (UnitBase & { kind: 'avgpool' })
  | (UnitBase & { kind: 'meanGradient' })
  | (UnitBase & { kind: 'maxpool' })
  | (UnitBase & { kind: 'structure' })
  | (UnitBase & {
      kind: 'layerNorm';
      /**
       * The decomposed form (`ReduceMean`→`Sub`→`Pow`→`ReduceMean`→`Add`→`Sqrt`→`Div`, then `Mul` γ and
       * `Add` β) of exports below opset 17: σ is its `Sqrt` output, γ the `Mul`'s constant.
       */
      decomposed?: { deviation: string; axes: number[]; scale?: string };
    })
  | (UnitBase & { kind: 'attention' })
  | (UnitBase & { kind: 'unsupported'; reason: string });

export type UnitKind = Unit['kind'];
