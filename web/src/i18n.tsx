// The UI's two languages: a typed dictionary per language (zh must have
// exactly the keys of en; TypeScript and a Vitest test both check it), a
// React context holding the current language, and the formatters bound to it.

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import {
  formatBytes,
  formatCompact,
  formatCount,
  formatDateTime,
  formatDecimal,
  formatDuration,
  formatRatio,
  formatShortDateTime,
  type Lang,
} from './format';

export type { Lang } from './format';

export const en = {
  'app.name': 'Shoal',
  'app.tagline': 'Small files in the Hive warehouse',
  'nav.overview': 'Overview',
  'nav.tables': 'Tables',
  'lang.label': 'Language',
  'lang.en': 'English',
  'lang.zh': '简体中文',

  'common.loading': 'Loading…',
  'common.retry': 'Retry',
  'common.error': 'Error',
  'common.none': 'None',
  'common.yes': 'Yes',
  'common.no': 'No',
  'common.all': 'All',
  'common.noData': 'No data',
  'common.dismiss': 'Dismiss',

  'scan.now': 'Scan now',
  'scan.starting': 'Starting…',
  'scan.cancel': 'Cancel',
  'scan.title': 'Scan #{id}',
  'scan.state.queued': 'Queued',
  'scan.state.running': 'Running',
  'scan.state.succeeded': 'Succeeded',
  'scan.state.failed': 'Failed',
  'scan.state.cancelled': 'Cancelled',
  'scan.partitions': '{done} of {total} partitions',
  'scan.partitionsOpen': '{done} partitions, still discovering',
  'scan.tables': '{done} of {total} tables',
  'scan.files': '{files} files, {bytes}',
  'scan.rate': '{rate} partitions/s',
  'scan.eta': '{eta} left',
  'scan.errors': '{count} partition errors',
  'scan.tookTime': 'Finished in {duration}',
  'scan.failed': 'Scan failed: {message}',
  'scan.startFailed': 'Could not start a scan: {message}',
  'scan.followFailed': 'Lost track of scan #{id}: {message}',
  'scan.detectFailed': 'Could not check for a running scan: {message}',
  'scan.alreadyRunning': 'A scan is already running; following it.',
  'scan.polling': 'Live stream unavailable; polling for progress.',

  'empty.title': 'No snapshot yet — click Scan now',
  'empty.body': 'Shoal has not scanned the warehouse yet. A scan lists every partition and records file counts and sizes.',

  'summary.files': 'Files',
  'summary.smallFiles': 'Small files',
  'summary.smallRatio': 'Small-file ratio',
  'summary.bytes': 'Data size',
  'summary.heap': 'NameNode heap (est.)',
  'summary.filesDetail': 'in {partitions} partitions of {tables} tables',
  'summary.smallDetail': 'below {threshold}',
  'summary.ratioDetail': '{reducible} files could be merged away',
  'summary.bytesDetail': '{blocks} blocks',
  'summary.heapDetail': '150 bytes per file, block and directory',
  'summary.snapshot': 'Snapshot #{id}, scanned {at} in {duration}',
  'summary.errorPartitions': 'Partitions with listing errors: {count}',
  'summary.catalog': 'Catalog',

  'chart.histogram': 'File size distribution',
  'chart.histogramHint': 'Files per size bucket (log2 scale); red buckets are below the small-file threshold.',
  'chart.threshold': 'Small-file threshold {size}',
  'chart.files': 'Files',
  'chart.smallFiles': 'Small files',
  'chart.trend': 'Trend across snapshots',
  'chart.trendTable': 'Trend of this table across snapshots',
  'chart.trendEmpty': 'Trends appear after the first scan.',

  'top.title': 'Top tables by small files',
  'top.viewAll': 'Explore all tables →',

  'tables.title': 'Table explorer',
  'tables.search': 'Search tables',
  'tables.searchPlaceholder': 'Filter by name…',
  'tables.database': 'Database',
  'tables.format': 'Format',
  'tables.allDatabases': 'All databases',
  'tables.allFormats': 'All formats',
  'tables.empty': 'No tables match.',
  'tables.count': '{total} tables',

  'col.table': 'Table',
  'col.partition': 'Partition',
  'col.format': 'Format',
  'col.partitions': 'Partitions',
  'col.files': 'Files',
  'col.smallFiles': 'Small files',
  'col.smallRatio': 'Small %',
  'col.bytes': 'Size',
  'col.avgSize': 'Avg size',
  'col.medianSize': 'Median size',
  'col.heap': 'NN heap',
  'col.reducible': 'Reducible',
  'col.newest': 'Last modified',
  'col.sortBy': 'Sort by {column}',

  'pager.range': '{from}–{to} of {total}',
  'pager.prev': 'Previous',
  'pager.next': 'Next',
  'pager.first': 'First',
  'pager.pageSize': 'Rows per page',
  'pager.page': 'Page {page} of {pages}',

  'table.back': '← All tables',
  'table.stats': 'Table statistics',
  'table.location': 'Location',
  'table.owner': 'Owner',
  'table.format': 'Format',
  'table.partitioned': 'Partitioned',
  'table.transactional': 'Transactional',
  'table.partitions': 'Partitions',
  'table.files': 'Files',
  'table.smallFiles': 'Small files',
  'table.smallRatio': 'Small-file ratio',
  'table.bytes': 'Size',
  'table.avgSize': 'Average file size',
  'table.minSize': 'Smallest file',
  'table.maxSize': 'Largest file',
  'table.heap': 'NameNode heap (est.)',
  'table.filesAfterMerge': 'Files after merge',
  'table.reducible': 'Reducible files',
  'table.errorPartitions': 'Partitions with errors',
  'table.oldest': 'Oldest file',
  'table.newest': 'Newest file',
  'table.histogram': 'File sizes of this table',
  'table.partitionsTitle': 'Partitions',
  'table.partitionsSearch': 'Filter partitions…',
  'table.onlyErrors': 'Only partitions with errors',
  'table.noPartitions': 'No partitions match.',
  'table.unpartitioned': '(unpartitioned table)',
  'table.partitionError': 'Listing failed: {message}',

  'notFound.title': 'Page not found',
  'notFound.body': 'There is nothing at {path}.',
} as const;

export type MessageKey = keyof typeof en;
export type Dictionary = Record<MessageKey, string>;

export const zh: Dictionary = {
  'app.name': 'Shoal',
  'app.tagline': 'Hive 数仓小文件治理',
  'nav.overview': '概览',
  'nav.tables': '表',
  'lang.label': '语言',
  'lang.en': 'English',
  'lang.zh': '简体中文',

  'common.loading': '加载中…',
  'common.retry': '重试',
  'common.error': '错误',
  'common.none': '无',
  'common.yes': '是',
  'common.no': '否',
  'common.all': '全部',
  'common.noData': '暂无数据',
  'common.dismiss': '关闭',

  'scan.now': '立即扫描',
  'scan.starting': '正在启动…',
  'scan.cancel': '取消',
  'scan.title': '扫描 #{id}',
  'scan.state.queued': '排队中',
  'scan.state.running': '扫描中',
  'scan.state.succeeded': '已完成',
  'scan.state.failed': '失败',
  'scan.state.cancelled': '已取消',
  'scan.partitions': '分区 {done} / {total}',
  'scan.partitionsOpen': '已扫描 {done} 个分区，仍在发现中',
  'scan.tables': '表 {done} / {total}',
  'scan.files': '{files} 个文件，{bytes}',
  'scan.rate': '每秒 {rate} 个分区',
  'scan.eta': '剩余 {eta}',
  'scan.errors': '{count} 个分区出错',
  'scan.tookTime': '用时 {duration}',
  'scan.failed': '扫描失败：{message}',
  'scan.startFailed': '无法启动扫描：{message}',
  'scan.followFailed': '无法跟踪扫描 #{id}：{message}',
  'scan.detectFailed': '无法检查是否有正在运行的扫描：{message}',
  'scan.alreadyRunning': '已有扫描在运行，正在跟踪该扫描。',
  'scan.polling': '实时推送不可用，改为轮询进度。',

  'empty.title': '尚无快照 — 请点击“立即扫描”',
  'empty.body': 'Shoal 尚未扫描数仓。扫描会列出每个分区，并记录文件数量与大小。',

  'summary.files': '文件数',
  'summary.smallFiles': '小文件数',
  'summary.smallRatio': '小文件占比',
  'summary.bytes': '数据量',
  'summary.heap': 'NameNode 堆内存（估算）',
  'summary.filesDetail': '分布于 {tables} 张表的 {partitions} 个分区',
  'summary.smallDetail': '小于 {threshold}',
  'summary.ratioDetail': '合并后可减少 {reducible} 个文件',
  'summary.bytesDetail': '{blocks} 个数据块',
  'summary.heapDetail': '每个文件、块和目录约 150 字节',
  'summary.snapshot': '快照 #{id}，扫描于 {at}，用时 {duration}',
  'summary.errorPartitions': '列出失败的分区：{count}',
  'summary.catalog': '元数据目录',

  'chart.histogram': '文件大小分布',
  'chart.histogramHint': '按大小分桶的文件数（log2 刻度）；红色桶低于小文件阈值。',
  'chart.threshold': '小文件阈值 {size}',
  'chart.files': '文件数',
  'chart.smallFiles': '小文件数',
  'chart.trend': '历次快照趋势',
  'chart.trendTable': '该表历次快照趋势',
  'chart.trendEmpty': '首次扫描后将显示趋势。',

  'top.title': '小文件最多的表',
  'top.viewAll': '浏览全部表 →',

  'tables.title': '表浏览',
  'tables.search': '搜索表',
  'tables.searchPlaceholder': '按名称筛选…',
  'tables.database': '数据库',
  'tables.format': '格式',
  'tables.allDatabases': '全部数据库',
  'tables.allFormats': '全部格式',
  'tables.empty': '没有匹配的表。',
  'tables.count': '共 {total} 张表',

  'col.table': '表',
  'col.partition': '分区',
  'col.format': '格式',
  'col.partitions': '分区数',
  'col.files': '文件数',
  'col.smallFiles': '小文件数',
  'col.smallRatio': '小文件占比',
  'col.bytes': '大小',
  'col.avgSize': '平均大小',
  'col.medianSize': '中位大小',
  'col.heap': 'NN 堆内存',
  'col.reducible': '可减少',
  'col.newest': '最近修改',
  'col.sortBy': '按{column}排序',

  'pager.range': '第 {from}–{to} 条，共 {total} 条',
  'pager.prev': '上一页',
  'pager.next': '下一页',
  'pager.first': '首页',
  'pager.pageSize': '每页行数',
  'pager.page': '第 {page} / {pages} 页',

  'table.back': '← 全部表',
  'table.stats': '表统计',
  'table.location': '存储位置',
  'table.owner': '所有者',
  'table.format': '格式',
  'table.partitioned': '分区表',
  'table.transactional': '事务表',
  'table.partitions': '分区数',
  'table.files': '文件数',
  'table.smallFiles': '小文件数',
  'table.smallRatio': '小文件占比',
  'table.bytes': '大小',
  'table.avgSize': '平均文件大小',
  'table.minSize': '最小文件',
  'table.maxSize': '最大文件',
  'table.heap': 'NameNode 堆内存（估算）',
  'table.filesAfterMerge': '合并后文件数',
  'table.reducible': '可减少文件数',
  'table.errorPartitions': '出错分区数',
  'table.oldest': '最早文件',
  'table.newest': '最新文件',
  'table.histogram': '该表文件大小分布',
  'table.partitionsTitle': '分区',
  'table.partitionsSearch': '筛选分区…',
  'table.onlyErrors': '仅显示出错分区',
  'table.noPartitions': '没有匹配的分区。',
  'table.unpartitioned': '（非分区表）',
  'table.partitionError': '列出失败：{message}',

  'notFound.title': '页面不存在',
  'notFound.body': '{path} 没有内容。',
};

export const DICTIONARIES: Record<Lang, Dictionary> = { en, zh };

export const LANG_STORAGE_KEY = 'shoal.lang';

export type Vars = Record<string, string | number>;

/** Looks up key in lang and fills its {placeholders}; unknown placeholders stay as they are. */
export function translate(lang: Lang, key: MessageKey, vars?: Vars): string {
  const s = DICTIONARIES[lang][key] ?? en[key] ?? key;
  if (!vars) return s;
  return s.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

/** The {placeholders} of a message, sorted. */
export function placeholders(s: string): string[] {
  return [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();
}

/** The stored language, else the browser's (zh for any Chinese locale), else English. */
export function initialLang(): Lang {
  try {
    const stored = globalThis.localStorage?.getItem(LANG_STORAGE_KEY);
    if (stored === 'en' || stored === 'zh') return stored;
  } catch {
    // Storage may be blocked; fall through.
  }
  const langs = globalThis.navigator?.languages?.length
    ? globalThis.navigator.languages
    : [globalThis.navigator?.language ?? 'en'];
  for (const l of langs) {
    const low = l.toLowerCase();
    if (low.startsWith('zh')) return 'zh';
    if (low.startsWith('en')) return 'en';
  }
  return 'en';
}

export interface I18n {
  lang: Lang;
  setLang: (l: Lang) => void;
  t: (key: MessageKey, vars?: Vars) => string;
  count: (n: number) => string;
  compact: (n: number) => string;
  decimal: (n: number, digits?: number) => string;
  bytes: (n: number) => string;
  ratio: (r: number) => string;
  duration: (s: number) => string;
  dateTime: (iso: string | undefined | null) => string;
  shortDateTime: (iso: string | undefined | null) => string;
}

export function makeI18n(lang: Lang, setLang: (l: Lang) => void = () => {}): I18n {
  return {
    lang,
    setLang,
    t: (key, vars) => translate(lang, key, vars),
    count: (n) => formatCount(n, lang),
    compact: (n) => formatCompact(n, lang),
    decimal: (n, digits) => formatDecimal(n, lang, digits),
    bytes: (n) => formatBytes(n, lang),
    ratio: (r) => formatRatio(r, lang),
    duration: (s) => formatDuration(s, lang),
    dateTime: (iso) => formatDateTime(iso, lang),
    shortDateTime: (iso) => formatShortDateTime(iso, lang),
  };
}

const I18nContext = createContext<I18n>(makeI18n('en'));

export function I18nProvider({ children, lang: fixed }: { children: ReactNode; lang?: Lang }) {
  const [lang, setLangState] = useState<Lang>(() => fixed ?? initialLang());
  const setLang = useCallback((l: Lang) => {
    setLangState(l);
    try {
      globalThis.localStorage?.setItem(LANG_STORAGE_KEY, l);
    } catch {
      // Not remembered when storage is blocked.
    }
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = lang === 'zh' ? 'Shoal · 小文件治理' : 'Shoal · Small files';
  }, [lang]);
  const value = useMemo(() => makeI18n(lang, setLang), [lang, setLang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  return useContext(I18nContext);
}
