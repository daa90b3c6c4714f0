import { beforeEach, describe, expect, it, vi } from 'vitest';

type Budget = typeof import('../../src/util/regex-budget.js');

describe('the regex backtrack budget', () => {
  let budget: Budget;
  beforeEach(async () => {
    // A fresh module each time: the flag is set once per module instance.
    vi.resetModules();
    budget = await import('../../src/util/regex-budget.js');
  });

  it('runs the hook once, when the first budgeted regex is built, not before', () => {
    let calls = 0;
    budget.beforeRegexBudget(() => calls++);
    expect(calls).toBe(0);
    const re = budget.budgetedRegExp('^a+b$', 'i');
    expect(calls).toBe(1);
    expect(re.test('AAB')).toBe(true);
    budget.budgetedRegExp('x');
    budget.ensureRegexBudget();
    expect(calls).toBe(1);
  });

  it('forgets a hook taken back with null, and ignores one given after the flag is set', () => {
    let calls = 0;
    budget.beforeRegexBudget(() => calls++);
    budget.beforeRegexBudget(null);
    budget.ensureRegexBudget();
    budget.beforeRegexBudget(() => calls++);
    budget.budgetedRegExp('x');
    expect(calls).toBe(0);
  });
});
