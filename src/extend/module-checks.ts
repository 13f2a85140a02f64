// `docktor config validate`'s checks of a service's modules: each loads, and exports what its
// role needs (a custom strategy `decide`; a policy `before` and/or `after`). Nothing is called.
import type { ServiceConfig } from '../config/service';
import type { CheckResult } from '../observations';
import { ModuleCallError, type ModuleHost } from './module-host';

export async function moduleChecks(service: ServiceConfig, host: ModuleHost): Promise<CheckResult[]> {
  const refs = [
    ...(service.strategy === 'custom' && service.custom ? [{ role: 'custom strategy', ref: service.custom, needs: ['decide'] }] : []),
    ...(service.policies ?? []).map((ref) => ({ role: 'policy', ref, needs: ['before', 'after'] })),
  ];
  return Promise.all(
    refs.map(async ({ role, ref, needs }): Promise<CheckResult> => {
      const label = `${service.name}: ${role} ${ref.module}`;
      try {
        const exports = await host.exportsOf(ref.module);
        const found = needs.filter((n) => exports.includes(n));
        if (found.length > 0) return { ok: true, label, detail: `exports ${found.map((n) => `${n}()`).join(' and ')}` };
        return { ok: false, label, detail: `exports no ${needs.map((n) => `${n}()`).join(' or ')} (functions: ${exports.join(', ') || 'none'})` };
      } catch (e) {
        if (e instanceof ModuleCallError) return { ok: false, label, detail: e.message };
        throw e;
      }
    }),
  );
}
