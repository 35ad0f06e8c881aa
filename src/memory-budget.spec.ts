import { apiNodeFlags, API_NODE_FLAGS } from './memory-budget.js';

describe('the API memory budget', () => {
  it('applies both V8 limits by default', () => {
    expect(apiNodeFlags('')).toEqual([...API_NODE_FLAGS]);
  });

  it('leaves an option the operator set in NODE_OPTIONS to them', () => {
    expect(apiNodeFlags('--max-old-space-size=1024')).toEqual(['--max-semi-space-size=16']);
    expect(apiNodeFlags('--enable-source-maps --max-semi-space-size=64')).toEqual(['--max-old-space-size=256']);
  });
});
