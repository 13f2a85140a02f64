// The plugin interface of an `external:` source (cf. KEDA's metrics-api, postgresql and
// prometheus scalers): one number per read, which becomes the observation `external.<name>`.
import type { ExternalConfig } from '../../config/external';
import type { CheckResult } from '../../observations';

export interface ExternalSource<C extends ExternalConfig = ExternalConfig> {
  readonly kind: C['kind'];
  /**
   * The current value, a finite number. Throws ConfigurationError (a missing path, a query that
   * returns no number) or UnavailableError (server down, timeout), naming the source.
   */
  read(config: C): Promise<number>;
  /** Reachability and a first read, for `config validate`; never throws. */
  check(config: C): Promise<CheckResult[]>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}

/** `external.<name>`: the observation a source's value is recorded as. */
export function externalMetric(config: { name: string }): string {
  return `external.${config.name}`;
}
