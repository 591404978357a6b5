/** Chart colours, matching the CSS variables of styles.css. */
export const COLORS = {
  primary: '#2563eb',
  small: '#dc4c4c',
  partial: '#e39b2d',
  large: '#3b82c4',
  grid: '#e5e9f0',
  axis: '#6b7789',
  text: '#1f2a37',
};

export const FONT = '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", "PingFang SC", "Microsoft YaHei", sans-serif';
