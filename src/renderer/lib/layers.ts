/**
 * Layers PAIR-X can explain at: feature maps with more than one position (matching needs a grid):
 * [1,C,h,w], or a channels-last stage or ViT block whose grid the model reports.
 */
export const isSpatialLayer = (layer: { shape: readonly number[]; grid?: { height: number; width: number } }): boolean =>
  layer.grid ? layer.grid.height * layer.grid.width > 1 : layer.shape.length === 4 && layer.shape[2] * layer.shape[3] > 1;

/** `C×h×w` of a layer's feature map, or its raw shape where it has none. */
export const layerSize = (layer: { shape: readonly number[]; grid?: { channels: number; height: number; width: number } }): string =>
  layer.grid ? `${layer.grid.channels}×${layer.grid.height}×${layer.grid.width}` : layer.shape.slice(1).join('×');
