import { API_NODE_FLAGS, withApiNodeFlags } from './api-processes';

describe('the API processes’ node flags', () => {
  const saved = process.env.NODE_OPTIONS;
  afterEach(() => {
    if (saved === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = saved;
  });

  it('adds the API flags in front of the given ones', () => {
    delete process.env.NODE_OPTIONS;
    expect(withApiNodeFlags(['-r', '@swc-node/register'])).toEqual([...API_NODE_FLAGS, '-r', '@swc-node/register']);
  });

  it('leaves a flag the operator gave, on the command line or in NODE_OPTIONS, as given', () => {
    delete process.env.NODE_OPTIONS;
    expect(withApiNodeFlags(['--max-semi-space-size=16'])).toEqual(['--max-semi-space-size=16']);
    process.env.NODE_OPTIONS = '--max-semi-space-size=32';
    expect(withApiNodeFlags([])).toEqual([]);
  });
});
