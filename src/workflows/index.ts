// The workflow bundle's entry: only deterministic modules may be imported from here.
export { serviceScaler } from './service-scaler';
export { queueDiscovery } from './queue-discovery';
