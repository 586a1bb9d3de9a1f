import type { Config } from '../../../lib/config.js';
import type { QueryRunner } from '../query/run.js';

/** What every ClickHouse-backed route plugin is given by buildApp. */
export interface QueryRouteOptions {
  config: Config['api'];
  runner: QueryRunner;
}
