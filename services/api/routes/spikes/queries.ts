// /v1/spikes has no SQL of its own: the detector in lib/spike-detector.ts is the one definition, shared
// with the generated Grafana alert rules. This module only names its row shape for the route.
export { spikeQuery, spikeQueryParams, type SpikeRow } from '../../../../lib/spike-detector.js';
