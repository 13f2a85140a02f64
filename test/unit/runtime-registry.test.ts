// The runtime registry: one actuator per `runtime.kind`, chosen from the target.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServiceSchema } from '../../src/config/service';
import { RUNTIME_KINDS } from '../../src/config/runtime';
import { ComposeRuntime } from '../../src/runtimes/compose';
import { ProcessRuntime } from '../../src/runtimes/process';
import { closeRuntimes, createRuntimeRegistry, runtimeFor, runtimes } from '../../src/runtimes/registry';
import type { RuntimeTarget } from '../../src/runtimes/runtime';
import { SwarmRuntime } from '../../src/runtimes/swarm';

function target(runtime: unknown): RuntimeTarget {
  const service = ServiceSchema.parse({ name: 'worker', max_replicas: 3, rules: {}, runtime });
  return { project: 'shop', service, runtime: service.runtime };
}

describe('runtime registry', () => {
  it('has a runtime for every kind of the config schema, each reporting its kind', () => {
    const registry = createRuntimeRegistry({ process: { stateDir: '/tmp/docktor-registry-test' } });
    assert.deepEqual(Object.keys(registry).sort(), [...RUNTIME_KINDS].sort());
    for (const kind of RUNTIME_KINDS) assert.equal(registry[kind].kind, kind);
  });

  it('picks the runtime by the target kind', () => {
    const registry = createRuntimeRegistry({ process: { stateDir: '/tmp/docktor-registry-test' } });
    assert.ok(runtimeFor(target({ kind: 'compose' }), registry) instanceof ComposeRuntime);
    assert.ok(runtimeFor(target({ kind: 'swarm' }), registry) instanceof SwarmRuntime);
    assert.ok(runtimeFor(target({ kind: 'process', command: ['node', 'w.js'] }), registry) instanceof ProcessRuntime);
  });

  it('shares one registry per process until closed', async () => {
    const first = runtimes();
    assert.equal(runtimes(), first);
    assert.equal(runtimeFor(target({ kind: 'compose' })), first.compose);
    await closeRuntimes();
    assert.notEqual(runtimes(), first);
    await closeRuntimes();
  });
});
