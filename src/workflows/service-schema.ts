// The service schema for workflow code, loaded on first use. Every workflow has its own instances
// of the modules it loads (the SDK isolates workflows in its shared V8 context), and zod with
// docktor's schemas weighs about 1 MB each: 500 scalers held 500 MB more, and the garbage
// collector walked it all. Only a `set_config` update needs the schema, so only a scaler that
// gets one pays for it (docs/benchmarks.md, fleet).
import type * as ServiceModule from '../config/service';

export function serviceSchema(): typeof ServiceModule.ServiceSchema {
  // A require, not an import: an import would load it when the workflow starts.
  return (require('../config/service') as typeof ServiceModule).ServiceSchema;
}
