// The parts of Apache ECharts the pages use: a GeoJSON map with flow lines and points, bar and
// line charts, drawn on canvas. Tree-shaken from echarts/core so the bundle stays small.
import * as echarts from "echarts/core";
import { BarChart, EffectScatterChart, LineChart, LinesChart, MapChart, ScatterChart } from "echarts/charts";
import {
  DatasetComponent,
  GeoComponent,
  GridComponent,
  LegendComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([
  BarChart,
  EffectScatterChart,
  LineChart,
  LinesChart,
  MapChart,
  ScatterChart,
  DatasetComponent,
  GeoComponent,
  GridComponent,
  LegendComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

export default echarts;
export const { init, registerMap, getInstanceByDom, graphic } = echarts;
