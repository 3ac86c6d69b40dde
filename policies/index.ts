export * from './types.js';
export * from './errors.js';
export * from './actions.js';
export * from './taxonomy.js';
export * from './allowlist.js';
export * from './cooldowns.js';
export * from './rules.js';
export * from './evaluate.js';
