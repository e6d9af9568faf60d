/**
 * Checks that alert rules and dashboard queries name only metrics and labels that the processes
 * expose: the names come from real scrapes (Prometheus text exposition), the queries are parsed with
 * ./promql.ts, and every selector, matcher, grouping label, `on`/`group_left` label, `$labels.x` of
 * an annotation and `{{x}}` of a legend is looked up.
 */
import { isSetOperator, parsePromQL, type Expr } from './promql.ts';

/** Labels the Prometheus Operator's scrape (a ServiceMonitor) adds to every series of a target. */
export const TARGET_LABELS = ['namespace', 'job', 'pod', 'instance', 'service', 'endpoint', 'container'];
/** Series Prometheus writes itself for every target (with the target labels only). */
export const SCRAPE_SERIES = ['up'];

export interface Vocabulary {
  /** Sample names with the label names seen on them. */
  series: Map<string, Set<string>>;
  /** Metric families declared by `# TYPE` (with or without samples), by name. */
  families: Map<string, string>;
}

/** Parses Prometheus text exposition into the names it holds. */
export function parseExposition(text: string): Vocabulary {
  const vocabulary: Vocabulary = { series: new Map(), families: new Map() };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/.exec(line);
      if (type) vocabulary.families.set(type[1] as string, type[2] as string);
      continue;
    }
    const { name, labels } = parseSample(line);
    const known = vocabulary.series.get(name) ?? new Set<string>();
    for (const label of labels) known.add(label);
    vocabulary.series.set(name, known);
  }
  return vocabulary;
}

function parseSample(line: string): { name: string; labels: string[] } {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
  if (!name) throw new Error(`exposition: no metric name in ${line}`);
  const labels: string[] = [];
  let i = name.length;
  if (line[i] !== '{') return { name, labels };
  i++;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') break;
    const label = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i))?.[0];
    if (!label || line[i + label.length] !== '=' || line[i + label.length + 1] !== '"')
      throw new Error(`exposition: bad label at ${i} in ${line}`);
    labels.push(label);
    i += label.length + 2;
    while (i < line.length && line[i] !== '"') i += line[i] === '\\' ? 2 : 1;
    if (i >= line.length) throw new Error(`exposition: unterminated label value in ${line}`);
    i++;
  }
  return { name, labels };
}

/** The names of several scrapes together, plus what Prometheus adds itself. */
export function vocabularyOf(scrapes: string[]): Vocabulary {
  const all: Vocabulary = { series: new Map(), families: new Map() };
  for (const vocabulary of scrapes.map(parseExposition)) {
    for (const [name, type] of vocabulary.families) all.families.set(name, type);
    for (const [name, labels] of vocabulary.series) {
      const known = all.series.get(name) ?? new Set<string>();
      for (const label of labels) known.add(label);
      all.series.set(name, known);
    }
  }
  for (const name of SCRAPE_SERIES) all.series.set(name, new Set());
  return all;
}

/** Labels an expression's result carries; undefined when unknown (after a problem was reported). */
interface Shape {
  labels: Set<string> | undefined;
  scalar: boolean;
}

const vectorOf = (labels: Set<string> | undefined): Shape => ({ labels, scalar: false });
const SCALAR: Shape = { labels: new Set(), scalar: true };
const SCALAR_FUNCTIONS = new Set(['scalar', 'time', 'pi', 'minute', 'hour', 'day_of_month', 'year']);

function without(labels: Set<string> | undefined, drop: string[]): Set<string> | undefined {
  return labels && new Set([...labels].filter((l) => !drop.includes(l)));
}

function union(a: Set<string> | undefined, b: Set<string> | undefined): Set<string> | undefined {
  return a && b && new Set([...a, ...b]);
}

class Checker {
  readonly problems: string[] = [];
  readonly #vocabulary: Vocabulary;
  readonly #where: string;

  constructor(vocabulary: Vocabulary, where: string) {
    this.#vocabulary = vocabulary;
    this.#where = where;
  }

  report(message: string): void {
    this.problems.push(`${this.#where}: ${message}`);
  }

  /** Reports each label of `labels` missing from `available` (when that is known). */
  #require(labels: string[], available: Set<string> | undefined, what: string): void {
    if (!available) return;
    for (const label of labels) if (!available.has(label)) this.report(`${what}: no such label "${label}"`);
  }

  shape(e: Expr): Shape {
    switch (e.kind) {
      case 'number':
      case 'string':
        return SCALAR;
      case 'unary':
        return this.shape(e.expr);
      case 'selector':
        return this.#selector(e);
      case 'call':
        return this.#call(e);
      case 'aggregate':
        return this.#aggregate(e);
      case 'binary':
        return this.#binary(e);
    }
  }

  #selector(e: Extract<Expr, { kind: 'selector' }>): Shape {
    const name = e.name ?? e.matchers.find((m) => m.label === '__name__' && m.op === '=')?.value;
    if (!name) {
      this.report('a selector without a metric name');
      return vectorOf(undefined);
    }
    const labels = this.#vocabulary.series.get(name);
    if (!labels) {
      const families = this.#vocabulary.families;
      const base = name.replace(/_(bucket|sum|count)$/, '');
      const declared = families.has(name) || ['histogram', 'summary'].includes(families.get(base) ?? '');
      this.report(
        declared
          ? `metric "${name}" is declared but had no series in the scrapes (drive traffic that makes one)`
          : `unknown metric "${name}"`,
      );
      return vectorOf(undefined);
    }
    const available = new Set([...labels, ...TARGET_LABELS]);
    const matched = e.matchers.map((m) => m.label).filter((l) => l !== '__name__');
    this.#require(matched, available, `matcher of ${name}`);
    return vectorOf(available);
  }

  #call(e: Extract<Expr, { kind: 'call' }>): Shape {
    const args = e.args.map((a) => this.shape(a));
    const text = (i: number) => {
      const arg = e.args[i];
      return arg?.kind === 'string' ? arg.value : undefined;
    };
    switch (e.fn) {
      case 'histogram_quantile': {
        const series = args[1]?.labels;
        if (series && !series.has('le')) this.report('histogram_quantile over series without "le"');
        return vectorOf(without(series, ['le']));
      }
      case 'label_replace': {
        const source = text(3);
        if (source) this.#require([source], args[0]?.labels, 'label_replace source');
        return vectorOf(union(args[0]?.labels, new Set([text(1) ?? ''])));
      }
      case 'label_join': {
        const sources = e.args.slice(3).flatMap((_, i) => text(i + 3) ?? []);
        this.#require(sources, args[0]?.labels, 'label_join source');
        return vectorOf(union(args[0]?.labels, new Set([text(1) ?? ''])));
      }
      case 'absent':
      case 'absent_over_time': {
        const arg = e.args[0];
        const kept =
          arg?.kind === 'selector' ? arg.matchers.filter((m) => m.op === '=').map((m) => m.label) : [];
        return vectorOf(new Set(kept));
      }
      case 'vector':
        return vectorOf(new Set());
      default:
        if (SCALAR_FUNCTIONS.has(e.fn)) return SCALAR;
        return args.find((a) => !a.scalar) ?? SCALAR;
    }
  }

  #aggregate(e: Extract<Expr, { kind: 'aggregate' }>): Shape {
    const arg = this.shape(e.expr);
    if (e.param) this.shape(e.param);
    const grouping = e.by ?? e.without ?? [];
    this.#require(grouping, arg.labels, `${e.op} ${e.by ? 'by' : 'without'} (${grouping.join(', ')})`);
    if (['topk', 'bottomk', 'limitk', 'limit_ratio'].includes(e.op)) return vectorOf(arg.labels);
    const kept = e.by ? new Set(e.by) : e.without ? without(arg.labels, e.without) : new Set<string>();
    if (e.op === 'count_values' && e.param?.kind === 'string')
      return vectorOf(union(kept, new Set([e.param.value])));
    return vectorOf(kept);
  }

  #binary(e: Extract<Expr, { kind: 'binary' }>): Shape {
    const lhs = this.shape(e.lhs);
    const rhs = this.shape(e.rhs);
    if (lhs.scalar && rhs.scalar) return SCALAR;
    if (lhs.scalar) return rhs;
    if (rhs.scalar) return lhs;
    const m = e.matching;
    if (m?.on) {
      this.#require(m.on, lhs.labels, `on (${m.on.join(', ')}), left side`);
      this.#require(m.on, rhs.labels, `on (${m.on.join(', ')}), right side`);
    }
    if (m?.ignoring) this.#require(m.ignoring, union(lhs.labels, rhs.labels), 'ignoring');
    if (m?.group) {
      const one = m.group.side === 'left' ? rhs : lhs;
      const many = m.group.side === 'left' ? lhs : rhs;
      this.#require(m.group.labels, one.labels, `group_${m.group.side}`);
      return vectorOf(union(many.labels, new Set(m.group.labels)));
    }
    if (isSetOperator(e.op)) return vectorOf(e.op === 'or' ? union(lhs.labels, rhs.labels) : lhs.labels);
    if (m?.on) return vectorOf(new Set(m.on));
    if (m?.ignoring) return vectorOf(without(lhs.labels, m.ignoring));
    return lhs;
  }
}

/** Problems of one PromQL expression, and the labels its result carries (undefined if unknown). */
export function checkExpression(
  expr: string,
  vocabulary: Vocabulary,
  where: string,
): { problems: string[]; labels: Set<string> | undefined } {
  const checker = new Checker(vocabulary, where);
  let labels: Set<string> | undefined;
  try {
    labels = checker.shape(parsePromQL(expr)).labels;
  } catch (err) {
    checker.report((err as Error).message);
  }
  return { problems: checker.problems, labels };
}

export interface AlertRule {
  alert: string;
  expr: string;
  annotations?: Record<string, string>;
}

/** Problems of one alert: its expression, and every `$labels.x` its annotations use. */
export function checkAlertRule(rule: AlertRule, vocabulary: Vocabulary): string[] {
  const { problems, labels } = checkExpression(rule.expr, vocabulary, `alert ${rule.alert}`);
  for (const [key, text] of Object.entries(rule.annotations ?? {})) {
    for (const [, label] of text.matchAll(/\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)/g)) {
      if (labels && !labels.has(label as string))
        problems.push(
          `alert ${rule.alert}: annotation ${key} uses $labels.${label}, which the expression does not keep`,
        );
    }
  }
  return problems;
}

/** Grafana's variables, replaced by something PromQL parses: ranges by 5m, the others by a word. */
export function substituteVariables(query: string): string {
  return query
    .replace(/\$\{?__(?:rate_interval|interval|range)\}?/g, '5m')
    .replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, 'x');
}

interface Panel {
  title?: string;
  panels?: Panel[];
  targets?: { expr?: string; legendFormat?: string }[];
}

interface Dashboard {
  panels?: Panel[];
  templating?: { list?: { name: string; type: string; query?: string | { query?: string } }[] };
}

/** Every query of a dashboard: panel targets (with their legends) and label_values() variables. */
export function dashboardQueries(dashboard: Dashboard): { where: string; expr: string; labels: string[] }[] {
  const queries: { where: string; expr: string; labels: string[] }[] = [];
  const visit = (panels: Panel[] | undefined) => {
    for (const panel of panels ?? []) {
      visit(panel.panels);
      for (const target of panel.targets ?? []) {
        if (!target.expr) continue;
        const legend = [...(target.legendFormat ?? '').matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)];
        queries.push({
          where: `panel "${panel.title ?? '?'}"`,
          expr: substituteVariables(target.expr),
          labels: legend.map((l) => l[1] as string),
        });
      }
    }
  };
  visit(dashboard.panels);
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    const labelValues = /^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/s.exec(query ?? '');
    if (labelValues) {
      queries.push({
        where: `variable $${variable.name}`,
        expr: substituteVariables(labelValues[1] as string),
        labels: [labelValues[2] as string],
      });
    } else if (query) {
      queries.push({ where: `variable $${variable.name}`, expr: substituteVariables(query), labels: [] });
    }
  }
  return queries;
}

/** Problems of every query of a dashboard, legends and variables included. */
export function checkDashboard(dashboard: Dashboard, vocabulary: Vocabulary): string[] {
  return dashboardQueries(dashboard).flatMap(({ where, expr, labels: used }) => {
    const { problems, labels } = checkExpression(expr, vocabulary, where);
    for (const label of used) {
      if (labels && !labels.has(label))
        problems.push(`${where}: uses label "${label}", which the query does not keep`);
    }
    return problems;
  });
}
