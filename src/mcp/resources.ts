// The MCP resources: each scaler's status and recent decisions, readable without a tool call,
// at docktor://<project>/<service>/status and docktor://<project>/<service>/history.
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import type { Variables } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import * as scalers from '../control/scalers';
import { UsageError } from '../errors';
import type { ScalersAccess } from './scalers-access';

/** Decisions in a history resource (the `explain` tool reads more). */
export const HISTORY_RESOURCE_TAIL = 50;

export function resourceUri(project: string, service: string, kind: 'status' | 'history'): string {
  return `docktor://${project}/${service}/${kind}`;
}

export function registerResources(server: McpServer, access: ScalersAccess): void {
  const { project, services } = access.config;
  const kinds = {
    status: {
      title: 'Scaler status',
      description: 'Replicas, bounds, strategy, paused/override state, the last decision and the next check time of one scaler',
      read: (service: string) => access.call((c) => scalers.status(c, access.config, service)).then((all) => all[0]),
    },
    history: {
      title: 'Decision history',
      description: `The last ${HISTORY_RESOURCE_TAIL} decisions of one scaler, oldest first, with reasons and the observations behind them`,
      read: (service: string) =>
        access.call((c) => scalers.explain(c, access.config, service, HISTORY_RESOURCE_TAIL)).then((entries) => entries.map(({ service: _, ...e }) => e)),
    },
  } as const;

  for (const [kind, k] of Object.entries(kinds) as Array<[keyof typeof kinds, (typeof kinds)[keyof typeof kinds]]>) {
    const template = new ResourceTemplate(resourceUri('{project}', '{service}', kind), {
      list: () => ({
        resources: services.map((s) => ({
          uri: resourceUri(project, s.name, kind),
          name: `${s.name} ${kind}`,
          title: `${k.title}: ${project}/${s.name}`,
          mimeType: 'application/json',
        })),
      }),
    });
    server.registerResource(`scaler-${kind}`, template, { title: k.title, description: k.description, mimeType: 'application/json' }, async (uri, vars): Promise<ReadResourceResult> => {
      const service = serviceOf(access, vars);
      const value = await k.read(service);
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }] };
    });
  }
}

function serviceOf(access: ScalersAccess, vars: Variables): string {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join('/') : (v ?? ''));
  const project = one(vars.project);
  if (project !== access.config.project) {
    throw new UsageError(`project "${project}" is not this server's project '${access.config.project}' (${access.config.file})`);
  }
  return access.service(decodeURIComponent(one(vars.service))).name;
}
