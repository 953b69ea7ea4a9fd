import { describe, expect, it } from 'vitest';
import { baseQuality, buildChain, type CatalogModel, parametersB } from '../../src/policy/chains.ts';

/** A user's own Ollama, none of it the seed's catalog. */
const FLEET: CatalogModel[] = [
  {
    name: 'gemma3:12b',
    sizeGb: 8.1,
    parameterSize: '12.2B',
    family: 'gemma3',
    capabilities: ['completion', 'vision'],
  },
  {
    name: 'qwen3:8b',
    sizeGb: 5.2,
    parameterSize: '8.2B',
    family: 'qwen3',
    capabilities: ['completion', 'tools', 'thinking'],
  },
  { name: 'phi4:14b', sizeGb: 9.1, parameterSize: '14.7B', family: 'phi3', capabilities: ['completion'] },
  {
    name: 'mistral:7b',
    sizeGb: 4.1,
    parameterSize: '7.2B',
    family: 'llama',
    capabilities: ['completion', 'tools'],
  },
  {
    name: 'qwen2.5-coder:7b',
    sizeGb: 4.7,
    parameterSize: '7.6B',
    family: 'qwen2',
    capabilities: ['completion', 'insert'],
  },
  {
    name: 'nomic-embed-text:latest',
    sizeGb: 0.27,
    parameterSize: '137M',
    family: 'nomic-bert',
    capabilities: ['embedding'],
  },
];

const names = (task: string) => buildChain(task, FLEET).chain.map((e) => e.model);

describe('chains built from the models a fleet has', () => {
  it('reads parameter sizes in Ollama words, or guesses them from the size on disk', () => {
    expect(parametersB(FLEET[0]!)).toBeCloseTo(12.2);
    expect(parametersB({ name: 'tiny', sizeGb: 0, parameterSize: '164K' })).toBeCloseTo(0.000164);
    expect(parametersB({ name: 'x', sizeGb: 4.5 })).toBeCloseTo(8);
    expect(baseQuality({ name: 'a', sizeGb: 1, parameterSize: '1B' })).toBe(0.3);
    expect(baseQuality({ name: 'b', sizeGb: 40, parameterSize: '70B' })).toBe(0.9);
  });

  it('puts code models first for code tasks, thinkers first for reasoning, the biggest for complex, the smallest for fast', () => {
    expect(names('code_generation')[0]).toBe('qwen2.5-coder:7b');
    expect(names('code_review')[0]).toBe('qwen2.5-coder:7b');
    expect(names('reasoning')[0]).toBe('qwen3:8b');
    expect(names('complex')[0]).toBe('phi4:14b');
    expect(names('fast_response')[0]).toBe('mistral:7b');
    expect(names('general')).toEqual([
      'phi4:14b',
      'gemma3:12b',
      'qwen3:8b',
      'qwen2.5-coder:7b',
      'mistral:7b',
    ]);
  });

  it('keeps embedding models out of every chat chain and alone in the embed chain', () => {
    for (const task of [
      'code_generation',
      'reasoning',
      'complex',
      'fast_response',
      'simple',
      'creative',
      'general',
    ])
      expect(names(task)).not.toContain('nomic-embed-text:latest');
    expect(buildChain('embed', FLEET)).toMatchObject({ chain: [{ model: 'nomic-embed-text:latest' }] });
  });

  it('orders by quality descending within a chain, and says its rule', () => {
    const built = buildChain('reasoning', FLEET);
    expect(built.rule).toMatch(/thinking/);
    const rest = built.chain.slice(1).map((e) => e.quality);
    expect(rest).toEqual([...rest].sort((a, b) => b - a));
    expect(buildChain('general', [])).toEqual({ chain: [], rule: expect.any(String) });
  });
});
