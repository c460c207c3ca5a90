/**
 * `rxgrad/report`: reports and dashboards, apart from the root so that `import 'rxgrad'` loads no
 * chart library.
 *
 * @example
 * import { writeReport } from 'rxgrad/report';
 * await writeReport('runs/a');
 */

export { type BabysitDashboard, startBabysitDashboard } from '../dashboard/babysitDashboard.js';
export { type Dashboard, type DashboardOptions, type DashboardSource, startDashboard } from '../dashboard/server.js';
export { type StudyDashboard, startStudyDashboard } from '../dashboard/studyDashboard.js';
export {
  type ImportanceDimension,
  type ImportanceTrial,
  importanceCoordinate,
  importanceDimension,
  pedAnovaImportances,
} from '../report/importance.js';
export { renderReport, writeReport } from '../report/writeReport.js';
