export { DASHBOARD_EVENTS_PATH, isDashboardPublicPath } from './dashboard-paths.ts';
export { type DashboardHandle, type DashboardOptions, registerDashboard } from './register-dashboard.ts';
export { type FeedSink, StatusFeed, type StatusFeedOptions } from './status-feed.ts';
