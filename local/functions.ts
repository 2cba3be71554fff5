import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { functions, type FunctionName } from '../lambdas/topology.js';

export const repositoryRoot = resolve(fileURLToPath(import.meta.url), '../..');

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

const loaded = new Map<FunctionName, Promise<LambdaHandler>>();

/** Imports the very module CDK bundles for the function and returns its `handler` export. */
export const loadHandler = (name: FunctionName): Promise<LambdaHandler> => {
  let handler = loaded.get(name);
  if (handler === undefined) {
    const url = pathToFileURL(resolve(repositoryRoot, functions[name].entry)).href;
    handler = import(url).then((module: { handler?: LambdaHandler }) => {
      if (typeof module.handler !== 'function') throw new Error(`${functions[name].entry} does not export a handler`);
      return module.handler;
    });
    loaded.set(name, handler);
  }
  return handler;
};
