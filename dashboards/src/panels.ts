// Panel helpers with the settings a stranger needs to read a panel right: a unit, a visible legend,
// thresholds and a description on every panel. The SDK's defaults are not enough on their own (time series
// hide their legend; stat panels reduce with no calculation and show nothing).
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import {
  BarGaugeDisplayMode,
  BarGaugeValueMode,
  BigValueColorMode,
  BigValueGraphMode,
  BigValueTextMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  SortOrder,
  StackingConfigBuilder,
  StackingMode,
  TooltipDisplayMode,
  VizLegendOptionsBuilder,
  VizOrientation,
  VizTooltipOptionsBuilder,
  type DataSourceRef,
} from '@grafana/grafana-foundation-sdk/common';
import { ThresholdsConfigBuilder, ThresholdsMode, type ValueMapping } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as BarGaugeBuilder } from '@grafana/grafana-foundation-sdk/bargauge';
import { PanelBuilder as PieChartBuilder, PieChartLegendOptionsBuilder, PieChartLegendValues, PieChartType } from '@grafana/grafana-foundation-sdk/piechart';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { CLICKHOUSE } from './datasources.js';

/** A threshold step: from `value` upwards the color applies (the first step starts at -∞). */
export type Step = [value: number | null, color: string];

const thresholds = (steps: readonly Step[]) =>
  new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps.map(([value, color]) => ({ value, color })));

/** No threshold of interest: everything green. */
const NEUTRAL: readonly Step[] = [[null, 'green']];

interface Common {
  title: string;
  /** What the panel shows and how to read it; shown in the panel's (i) tooltip. */
  description: string;
  query: Builder<Dataquery>;
  /** Grafana unit id (short, percentunit, s, cpm, …). */
  unit: string;
  w: number;
  h: number;
  datasource?: DataSourceRef;
  thresholds?: readonly Step[];
  decimals?: number;
  /** Lower bound of the query interval, e.g. 1m for panels on the per-minute rollup. */
  minInterval?: string;
  overrides?: { matcher: { id: string; options: string }; properties: { id: string; value: unknown }[] }[];
}

function common<T extends TimeseriesBuilder | StatBuilder | TableBuilder | BarGaugeBuilder | PieChartBuilder>(builder: T, o: Common): T {
  builder
    .title(o.title)
    .description(o.description)
    .datasource(o.datasource ?? CLICKHOUSE)
    .withTarget(o.query)
    .unit(o.unit)
    .span(o.w)
    .height(o.h)
    .thresholds(thresholds(o.thresholds ?? NEUTRAL));
  if (o.decimals !== undefined) builder.decimals(o.decimals);
  if (o.minInterval !== undefined) builder.interval(o.minInterval);
  for (const override of o.overrides ?? []) builder.withOverride(override);
  return builder;
}

export interface TimeseriesOptions extends Common {
  /** Stack the series (parts of a whole, e.g. errors by category). */
  stack?: boolean;
  /** The label column that names each series; the legend shows its value instead of the value column name. */
  seriesBy?: string;
  axisLabel?: string;
}

export function timeseries(o: TimeseriesOptions): TimeseriesBuilder {
  const builder = common(new TimeseriesBuilder(), o)
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.Table)
        .placement(LegendPlacement.Right)
        .calcs(['mean', 'max'])
        .sortBy('Max')
        .sortDesc(true),
    )
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending))
    .min(0)
    .lineWidth(1)
    .fillOpacity(o.stack ? 60 : 10)
    .stacking(new StackingConfigBuilder().mode(o.stack ? StackingMode.Normal : StackingMode.None));
  if (o.seriesBy) builder.displayName(`\${__field.labels.${o.seriesBy}}`);
  if (o.axisLabel) builder.axisLabel(o.axisLabel);
  return builder;
}

export interface StatOptions extends Common {
  mappings?: ValueMapping[];
}

/** One number (the last row's value); colored by its thresholds. */
export function stat(o: StatOptions): StatBuilder {
  const builder = common(new StatBuilder(), o)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false).fields(''))
    .colorMode(o.thresholds ? BigValueColorMode.Background : BigValueColorMode.Value)
    .graphMode(BigValueGraphMode.None)
    .textMode(BigValueTextMode.Value)
    .orientation(VizOrientation.Auto);
  if (o.mappings) builder.mappings(o.mappings);
  return builder;
}

export function table(o: Common): TableBuilder {
  return common(new TableBuilder(), o).showHeader(true).filterable(true);
}

/** One horizontal bar per row: the row's text column names the bar, its number sets the length. */
export function barGauge(o: Common): BarGaugeBuilder {
  return common(new BarGaugeBuilder(), o)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(true).fields(''))
    .orientation(VizOrientation.Horizontal)
    .displayMode(BarGaugeDisplayMode.Gradient)
    .valueMode(BarGaugeValueMode.Color)
    .showUnfilled(true)
    .min(0);
}

/** Shares of a whole, one slice per row; the legend lists value and percent. */
export function pieChart(o: Common): PieChartBuilder {
  return common(new PieChartBuilder(), o)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(true).fields(''))
    .pieType(PieChartType.Donut)
    .legend(
      new PieChartLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.Table)
        .placement(LegendPlacement.Right)
        .values([PieChartLegendValues.Value, PieChartLegendValues.Percent]),
    )
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Single).sort(SortOrder.None));
}

/** A column shown with its own unit (tables mix counts, percentages and times). */
export const columnUnit = (column: string, unit: string) => ({
  matcher: { id: 'byName', options: column },
  properties: [{ id: 'unit', value: unit }],
});

/** A column colored by thresholds of its own, drawn as a colored cell background. */
export const columnThresholds = (column: string, steps: readonly Step[]) => ({
  matcher: { id: 'byName', options: column },
  properties: [
    { id: 'thresholds', value: thresholds(steps).build() },
    { id: 'custom.cellOptions', value: { type: 'color-background' } },
  ],
});

/** A column narrowed to `width` pixels (codes and ids), leaving the rest to descriptions. */
export const columnWidth = (column: string, width: number) => ({
  matcher: { id: 'byName', options: column },
  properties: [{ id: 'custom.width', value: width }],
});

/** Colors for the values of a text column (e.g. severity), drawn as colored text. */
export const columnValueColors = (column: string, colors: Record<string, string>) => ({
  matcher: { id: 'byName', options: column },
  properties: [
    {
      id: 'mappings',
      value: [
        {
          type: 'value',
          options: Object.fromEntries(Object.entries(colors).map(([value, color], index) => [value, { color, index }])),
        },
      ],
    },
    { id: 'custom.cellOptions', value: { type: 'color-text' } },
  ],
});

/** The catalog's severities, in the colors an on-call engineer expects. */
export const SEVERITY_COLORS: Record<string, string> = { critical: 'red', high: 'orange', medium: 'yellow', low: 'green' };
