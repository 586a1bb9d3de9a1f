// The template variables (app, region, category, kind, code). Their values come from the hourly rollup over the
// dashboard's time range, so a list never offers an app that has no errors to show; each list is narrowed by
// the variables before it (on the Overview: region by app, category by both, code by all three).
import { QueryVariableBuilder, VariableRefresh, VariableSort } from '@grafana/grafana-foundation-sdk/dashboard';
import { CLICKHOUSE } from './datasources.js';
import { FILTER_COLUMNS, HOURS_IN_RANGE, variableFilters, type FilterSpec, type FilterVariable, type VariableUse } from './sql.js';

const LABELS: Record<FilterVariable, string> = { app: 'App', region: 'Region', category: 'Category', kind: 'Kind', code: 'Code' };

/** The SQL listing a variable's values, filtered by the variables declared before it. */
export function variableSql(variable: FilterVariable, before: FilterSpec): string {
  const column = FILTER_COLUMNS[variable];
  // A looked-up axis is named after the variable; the alias never hides a column the WHERE reads, since
  // the filters refer to the same expressions.
  const value = column === variable ? column : `${column} AS ${variable}`;
  return `SELECT DISTINCT ${value}
FROM error_counts_1h
WHERE ${HOURS_IN_RANGE}
  AND ${variableFilters(before)}
ORDER BY ${variable}`;
}

/**
 * The variables of one dashboard, in the order `spec` names them; each list is narrowed by the ones
 * before it. A `multi` variable offers All (its default); a `single` one holds exactly one value
 * (Grafana selects the first until the user picks).
 */
export function filterVariables(spec: FilterSpec): QueryVariableBuilder[] {
  const declared: FilterSpec = {};
  const builders: QueryVariableBuilder[] = [];
  for (const variable of Object.keys(spec) as FilterVariable[]) {
    const use: VariableUse = spec[variable]!;
    const sql = variableSql(variable, declared);
    const builder = new QueryVariableBuilder(variable)
      .label(LABELS[variable])
      .datasource(CLICKHOUSE)
      .query(sql)
      .definition(sql)
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .sort(VariableSort.AlphabeticalAsc)
      .multi(use === 'multi')
      .includeAll(use === 'multi')
      .allowCustomValue(false);
    if (use === 'multi') builder.current({ selected: true, text: ['All'], value: ['$__all'] });
    builders.push(builder);
    declared[variable] = use;
  }
  return builders;
}
