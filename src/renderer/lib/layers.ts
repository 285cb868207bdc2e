/** Layers PAIR-X can explain at: feature maps [1,C,h,w] with more than one position (matching needs a grid). */
export const isSpatialLayer = (layer: { shape: readonly number[] }): boolean =>
  layer.shape.length === 4 && layer.shape[2] * layer.shape[3] > 1;
