import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The folders' import directions (eslint.config.js, docs/ARCHITECTURE.md) as `npm run lint` applies
 * them: a sample file at a path in each folder, linted with the project's own configuration.
 */
const eslint = new ESLint();

async function refusals(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport {};\n`, { filePath });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import directions on the main side', () => {
  it('keeps the store out of the algorithm, and the explanation out of the store', async () => {
    expect(await refusals('src/main/pairx/sample.ts', "import '../catalog/store/catalog-store.ts';")).toHaveLength(1);
    expect(await refusals('src/main/catalog/sample.ts', "import '../pairx/pair-explainer.ts';")).toHaveLength(1);
    expect(await refusals('src/main/catalog/sample.ts', "import '../render/explanation-png.ts';")).toHaveLength(1);
  });

  it('keeps the runtime adapter free of the algorithm, and onnxruntime inside it', async () => {
    expect(await refusals('src/main/onnx/sample.ts', "import '../relevance/compiler.ts';")).toHaveLength(1);
    expect(await refusals('src/main/onnx/sample.ts', "import 'onnxruntime-node';")).toEqual([]);
    expect(await refusals('src/main/pairx/sample.ts', "import 'onnxruntime-node';")).toHaveLength(1);
    expect(await refusals('src/main/workbench.ts', "import 'onnxruntime-node';")).toHaveLength(1);
  });

  it('lets render read the explanation as data, not the algorithm', async () => {
    expect(await refusals('src/main/render/sample.ts', "import type { Explanation } from '../pairx/explanation.ts';")).toEqual([]);
    expect(await refusals('src/main/render/sample.ts', "import '../pairx/pair-explainer.ts';")).toHaveLength(1);
  });

  it('forbids the ties that ran back up', async () => {
    expect(await refusals('src/main/models/sample.ts', "import '../pairx/pair-explainer.ts';")).toHaveLength(1);
    expect(await refusals('src/main/jobs/sample.ts', "import '../catalog/store/catalog-store.ts';")).toHaveLength(1);
    expect(await refusals('src/main/imaging/sample.ts', "import '../jobs/process-alive.ts';")).toHaveLength(1);
    expect(await refusals('src/main/catalog/sample.ts', "import '../workbench.ts';")).toHaveLength(1);
  });

  it('lets the formats read and write the store, never the other way', async () => {
    expect(await refusals('src/main/formats/sample.ts', "import type { AnnotationRows } from '../catalog/annotation-rows.ts';")).toEqual([]);
    expect(await refusals('src/main/catalog/sample.ts', "import '../formats/registry.ts';")).toHaveLength(1);
    expect(await refusals('src/main/formats/sample.ts', "import '../workbench.ts';")).toHaveLength(1);
    expect(await refusals('src/main/cli/sample.ts', "import '../formats/registry.ts';")).toHaveLength(1);
  });

  it('keeps the fronts on the service', async () => {
    expect(await refusals('src/main/host/sample.ts', "import '../catalog/layout.ts';")).toHaveLength(1);
    expect(await refusals('src/main/server/sample.ts', "import '../pairx/explanation-service.ts';")).toHaveLength(1);
    expect(await refusals('src/main/cli/sample.ts', "import '../imaging/preprocess.ts';")).toHaveLength(1);
    expect(await refusals('src/main/host/sample.ts', "import '../workbench.ts';\nimport '../errors.ts';")).toEqual([]);
  });

  it('keeps the renderer and the contract out of the main process', async () => {
    expect(await refusals('src/renderer/sample.ts', "import '../main/workbench.ts';")).toHaveLength(1);
    expect(await refusals('src/shared/sample.ts', "import 'node:fs';")).toHaveLength(1);
  });
});
