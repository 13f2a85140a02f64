export * from './file';
export * from './load';
export * from './policy';
export * from './queue';
export * from './runtime';
export * from './service';
export { toFieldIssues, formatPath } from './issues';
