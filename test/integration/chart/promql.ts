/**
 * A PromQL parser that keeps what the metric-name check needs: the selectors (metric name and label
 * matchers), the labels of `by`/`without`, `on`/`ignoring` and `group_left`/`group_right`, and which
 * function or aggregation holds what. Literals and ranges are parsed and dropped.
 */

export type Expr =
  | { kind: 'number' }
  | { kind: 'string'; value: string }
  | { kind: 'selector'; name: string | undefined; matchers: Matcher[] }
  | { kind: 'call'; fn: string; args: Expr[] }
  | { kind: 'aggregate'; op: string; by?: string[]; without?: string[]; param?: Expr; expr: Expr }
  | { kind: 'binary'; op: string; lhs: Expr; rhs: Expr; matching?: Matching }
  | { kind: 'unary'; expr: Expr };

export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface Matching {
  on?: string[];
  ignoring?: string[];
  group?: { side: 'left' | 'right'; labels: string[] };
}

type Token =
  | { t: 'ident'; v: string }
  | { t: 'number'; v: string }
  | { t: 'duration'; v: string }
  | { t: 'string'; v: string }
  | { t: 'op'; v: string }
  | { t: 'punct'; v: string }
  | { t: 'end'; v: '' };

const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);
/** Aggregations whose first argument is a parameter (k, quantile, label name). */
const PARAMETRIC = new Set(['count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio']);
const SET_OPERATORS = new Set(['and', 'or', 'unless']);
const PRECEDENCE: [number, string[]][] = [
  [1, ['or']],
  [2, ['and', 'unless']],
  [3, ['==', '!=', '<=', '<', '>=', '>']],
  [4, ['+', '-']],
  [5, ['*', '/', '%', 'atan2']],
  [6, ['^']],
];
const precedenceOf = new Map(PRECEDENCE.flatMap(([p, ops]) => ops.map((op) => [op, p] as const)));

const DURATION = /^(?:[0-9]+(?:ms|s|m|h|d|w|y))+/;
const NUMBER = /^(?:0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)/;
const IDENT = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const OPERATORS = ['==', '!=', '>=', '<=', '=~', '!~', '>', '<', '=', '+', '-', '*', '/', '%', '^'];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '#') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      const { value, end } = readString(text, i);
      tokens.push({ t: 'string', v: value });
      i = end;
      continue;
    }
    const duration = DURATION.exec(rest);
    if (duration && !/^[a-zA-Z0-9_:]/.test(rest.slice(duration[0].length))) {
      tokens.push({ t: 'duration', v: duration[0] });
      i += duration[0].length;
      continue;
    }
    const number = NUMBER.exec(rest);
    if (number) {
      tokens.push({ t: 'number', v: number[0] });
      i += number[0].length;
      continue;
    }
    const ident = IDENT.exec(rest);
    if (ident) {
      tokens.push({ t: 'ident', v: ident[0] });
      i += ident[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (op) {
      tokens.push({ t: 'op', v: op });
      i += op.length;
      continue;
    }
    if ('(){}[],:@'.includes(c)) {
      tokens.push({ t: 'punct', v: c });
      i++;
      continue;
    }
    throw new Error(`PromQL: unexpected ${JSON.stringify(c)} at ${i} in ${text}`);
  }
  tokens.push({ t: 'end', v: '' });
  return tokens;
}

function readString(text: string, start: number): { value: string; end: number } {
  const quote = text[start];
  let value = '';
  let i = start + 1;
  while (i < text.length && text[i] !== quote) {
    if (text[i] === '\\' && quote !== '`') {
      value += text[i + 1] ?? '';
      i += 2;
    } else {
      value += text[i];
      i++;
    }
  }
  if (i >= text.length) throw new Error(`PromQL: unterminated string in ${text}`);
  return { value, end: i + 1 };
}

class Parser {
  #tokens: Token[];
  #at = 0;
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
    this.#tokens = tokenize(text);
  }

  parse(): Expr {
    const expr = this.#expr(0);
    if (this.#peek().t !== 'end') this.#fail(`unexpected ${this.#peek().v}`);
    return expr;
  }

  #peek(offset = 0): Token {
    return this.#tokens[Math.min(this.#at + offset, this.#tokens.length - 1)] as Token;
  }

  #next(): Token {
    const token = this.#peek();
    this.#at++;
    return token;
  }

  #is(t: Token['t'], v?: string): boolean {
    const token = this.#peek();
    return token.t === t && (v === undefined || token.v === v);
  }

  #expect(t: Token['t'], v?: string): Token {
    if (!this.#is(t, v)) this.#fail(`expected ${v ?? t}, found ${this.#peek().v || 'the end'}`);
    return this.#next();
  }

  #fail(message: string): never {
    throw new Error(`PromQL: ${message} in ${this.#text}`);
  }

  #binaryOperator(): string | undefined {
    const token = this.#peek();
    if (token.t === 'op' && precedenceOf.has(token.v)) return token.v;
    if (token.t === 'ident' && precedenceOf.has(token.v.toLowerCase())) return token.v.toLowerCase();
    return undefined;
  }

  /** Precedence climbing; `^` binds to the right. */
  #expr(minPrecedence: number): Expr {
    let lhs = this.#unary();
    for (;;) {
      const op = this.#binaryOperator();
      const precedence = op ? (precedenceOf.get(op) as number) : -1;
      if (!op || precedence < minPrecedence) return lhs;
      this.#next();
      if (this.#is('ident', 'bool')) this.#next();
      const matching = this.#matching();
      const rhs = this.#expr(op === '^' ? precedence : precedence + 1);
      lhs = { kind: 'binary', op, lhs, rhs, ...(matching ? { matching } : {}) };
    }
  }

  #matching(): Matching | undefined {
    const matching: Matching = {};
    if (this.#is('ident', 'on') || this.#is('ident', 'ignoring')) {
      const keyword = this.#next().v as 'on' | 'ignoring';
      matching[keyword] = this.#labelList();
      if (this.#is('ident', 'group_left') || this.#is('ident', 'group_right')) {
        const side = this.#next().v === 'group_left' ? 'left' : 'right';
        matching.group = { side, labels: this.#is('punct', '(') ? this.#labelList() : [] };
      }
    }
    return Object.keys(matching).length > 0 ? matching : undefined;
  }

  #labelList(): string[] {
    this.#expect('punct', '(');
    const labels: string[] = [];
    while (!this.#is('punct', ')')) {
      const token = this.#next();
      if (token.t !== 'ident' && token.t !== 'string') this.#fail(`expected a label name, found ${token.v}`);
      labels.push(token.v);
      if (!this.#is('punct', ')')) this.#expect('punct', ',');
    }
    this.#expect('punct', ')');
    return labels;
  }

  #unary(): Expr {
    if (this.#is('op', '-') || this.#is('op', '+')) {
      this.#next();
      return { kind: 'unary', expr: this.#unary() };
    }
    return this.#postfix(this.#primary());
  }

  /** Ranges, subqueries, `offset` and `@` change which samples are read, not which series. */
  #postfix(expr: Expr): Expr {
    for (;;) {
      if (this.#is('punct', '[')) {
        this.#next();
        while (!this.#is('punct', ']')) this.#next();
        this.#expect('punct', ']');
      } else if (this.#is('ident', 'offset')) {
        this.#next();
        if (this.#is('op', '-')) this.#next();
        this.#next();
      } else if (this.#is('punct', '@')) {
        this.#next();
        if (this.#next().t === 'ident') {
          this.#expect('punct', '(');
          this.#expect('punct', ')');
        }
      } else return expr;
    }
  }

  #primary(): Expr {
    const token = this.#peek();
    if (token.t === 'punct' && token.v === '(') {
      this.#next();
      const inner = this.#expr(0);
      this.#expect('punct', ')');
      return inner;
    }
    if (token.t === 'number' || token.t === 'duration') {
      this.#next();
      return { kind: 'number' };
    }
    if (token.t === 'string') {
      this.#next();
      return { kind: 'string', value: token.v };
    }
    if (token.t === 'punct' && token.v === '{')
      return { kind: 'selector', name: undefined, matchers: this.#matchers() };
    if (token.t !== 'ident') this.#fail(`unexpected ${token.v || 'end'}`);
    const name = token.v;
    const lower = name.toLowerCase();
    if (lower === 'inf' || lower === 'nan') {
      this.#next();
      return { kind: 'number' };
    }
    if (AGGREGATIONS.has(lower) && (this.#peekIs(1, '(') || this.#peekGrouping(1))) return this.#aggregate();
    if (this.#peekIs(1, '(')) {
      this.#next();
      return { kind: 'call', fn: name, args: this.#arguments() };
    }
    this.#next();
    return { kind: 'selector', name, matchers: this.#is('punct', '{') ? this.#matchers() : [] };
  }

  #peekIs(offset: number, punct: string): boolean {
    const token = this.#peek(offset);
    return token.t === 'punct' && token.v === punct;
  }

  #peekGrouping(offset: number): boolean {
    const token = this.#peek(offset);
    return token.t === 'ident' && (token.v === 'by' || token.v === 'without');
  }

  #aggregate(): Expr {
    const op = this.#next().v.toLowerCase();
    let grouping = this.#grouping();
    const args = this.#arguments();
    grouping ??= this.#grouping();
    const expr = args[args.length - 1];
    if (!expr) this.#fail(`${op} needs an argument`);
    return {
      kind: 'aggregate',
      op,
      ...(grouping ?? {}),
      ...(PARAMETRIC.has(op) && args.length > 1 ? { param: args[0] as Expr } : {}),
      expr,
    };
  }

  #grouping(): { by: string[] } | { without: string[] } | undefined {
    if (this.#is('ident', 'by')) {
      this.#next();
      return { by: this.#labelList() };
    }
    if (this.#is('ident', 'without')) {
      this.#next();
      return { without: this.#labelList() };
    }
    return undefined;
  }

  #arguments(): Expr[] {
    this.#expect('punct', '(');
    const args: Expr[] = [];
    while (!this.#is('punct', ')')) {
      args.push(this.#expr(0));
      if (!this.#is('punct', ')')) this.#expect('punct', ',');
    }
    this.#expect('punct', ')');
    return args;
  }

  #matchers(): Matcher[] {
    this.#expect('punct', '{');
    const matchers: Matcher[] = [];
    while (!this.#is('punct', '}')) {
      const label = this.#next();
      if (label.t !== 'ident' && label.t !== 'string') this.#fail(`expected a label name, found ${label.v}`);
      const op = this.#expect('op').v;
      if (op !== '=' && op !== '!=' && op !== '=~' && op !== '!~') this.#fail(`bad matcher operator ${op}`);
      const value = this.#expect('string').v;
      matchers.push({ label: label.v, op, value });
      if (!this.#is('punct', '}')) this.#expect('punct', ',');
    }
    this.#expect('punct', '}');
    return matchers;
  }
}

export function parsePromQL(text: string): Expr {
  return new Parser(text).parse();
}

export const isSetOperator = (op: string): boolean => SET_OPERATORS.has(op);
